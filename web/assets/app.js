// Live updates for the dashboard (no framework): the board refreshes its table when a
// deployment of the workspace changes; a deployment page appends its events as they happen.
'use strict';
(function () {
  const board = document.getElementById('board');
  if (board && board.dataset.live && window.EventSource) {
    const live = new EventSource(board.dataset.live);
    live.addEventListener('changed', async () => {
      const res = await fetch(location.href, { credentials: 'same-origin' });
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const fresh = doc.getElementById('board');
      if (fresh) document.getElementById('board').replaceWith(fresh);
    });
  }
  const list = document.getElementById('events');
  if (list && list.dataset.stream && window.EventSource) {
    const stream = new EventSource(list.dataset.stream + '?after=' + (list.dataset.after || '0'));
    const terminal = ['succeeded', 'failed'];
    const onEvent = (type) => (message) => {
      const e = JSON.parse(message.data);
      const li = document.createElement('li');
      const time = document.createElement('time');
      time.dateTime = e.time;
      time.textContent = e.time.slice(11, 19);
      const strong = document.createElement('strong');
      strong.textContent = e.type;
      li.append(time, ' ', strong, ' ' + e.message);
      list.append(li);
      if (terminal.includes(type) || (e.data && e.data.terminal)) {
        stream.close();
        location.reload(); // the outcome, cause, next step and log lines
      }
    };
    for (const type of ['pending', 'rendered', 'preflight', 'warning', 'committed', 'syncing', 'progressing', 'cause', 'health-flap', 'stream-reconnect', 'succeeded', 'failed', 'message']) {
      stream.addEventListener(type, onEvent(type));
    }
  }
})();
