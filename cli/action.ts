// What a command module exports and what main.ts runs: its own module so the command
// modules need not import main.ts, which imports them (an import circle).

import type { Context, GlobalFlags } from './context.ts';

export type Action = (ctx: Context, args: unknown[], flags: GlobalFlags) => Promise<number | void>;
export type Loader = () => Promise<Action>;
