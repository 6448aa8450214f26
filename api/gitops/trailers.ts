// Commit messages with a human subject and machine trailers, in git's trailer format so that
// `git log --format='%(trailers)'` and `git interpret-trailers` read them.

import { LocoError } from '../../generator/errors.ts';

const TRAILER_KEY = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

/** One line, no control characters: a newline in a value would end the trailer block. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\t\v\f]+/g, ' ').replace(/[\x00-\x1f\x7f]/g, '').trim();
}

export function formatCommitMessage(subject: string, trailers: Record<string, string>, body?: string): string {
  const title = oneLine(subject);
  if (!title) {
    throw new LocoError('validation.commit-subject', 'the commit subject is empty', 'give the change a one-line subject, e.g. "deploy(api@dev): <image>"');
  }
  const lines: string[] = [];
  for (const [key, value] of Object.entries(trailers)) {
    if (!TRAILER_KEY.test(key)) {
      throw new LocoError('validation.commit-trailer', `"${key}" is not a valid trailer key`, 'use letters, digits and dashes, e.g. Loco-App');
    }
    const v = oneLine(String(value));
    if (v) lines.push(`${key}: ${v}`);
  }
  const parts = [title];
  const text = body?.replace(/\r\n/g, '\n').trim();
  if (text) parts.push(text);
  if (lines.length) parts.push(lines.join('\n'));
  return parts.join('\n\n') + '\n';
}

export interface ParsedMessage {
  subject: string;
  body: string;
  trailers: Record<string, string>;
}

/**
 * Splits a commit message into subject, body and trailers. Trailers are read from the last
 * paragraph only when every line of it is `Key: value` (or a continuation line), as git does
 * for messages without a git-generated trailer.
 */
export function parseCommitMessage(message: string): ParsedMessage {
  const text = message.replace(/\r\n/g, '\n').replace(/\s+$/, '');
  const paragraphs = text.split(/\n{2,}/);
  const subject = (paragraphs.shift() ?? '').replace(/\n/g, ' ').trim();
  const trailers: Record<string, string> = {};
  if (paragraphs.length) {
    const last = paragraphs[paragraphs.length - 1].split('\n');
    const parsed: [string, string][] = [];
    let ok = true;
    for (const line of last) {
      const m = /^([A-Za-z0-9][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
      if (m) parsed.push([m[1], m[2].trim()]);
      else if (/^\s+\S/.test(line) && parsed.length) parsed[parsed.length - 1][1] += ' ' + line.trim();
      else { ok = false; break; }
    }
    if (ok && parsed.length) {
      paragraphs.pop();
      for (const [k, v] of parsed) trailers[k] = v;
    }
  }
  return { subject, body: paragraphs.join('\n\n'), trailers };
}
