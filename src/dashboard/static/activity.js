// Live activity: the server sends each new turn with its table row already rendered (and escaped) by the same
// template as the page, so this only inserts it. EventSource reconnects by itself and resends Last-Event-ID.
(() => {
  const body = document.querySelector('#activity tbody');
  const dot = document.getElementById('live-state');
  if (!body) return;
  const since = Date.now();
  const source = new EventSource(`/dashboard/api/activity/stream?since=${since}`);
  source.addEventListener('open', () => { dot.className = 'live-dot on'; dot.title = 'live'; });
  source.addEventListener('error', () => { dot.className = 'live-dot'; dot.title = 'reconnecting'; });
  source.addEventListener('turn', (e) => {
    const { turn, row } = JSON.parse(e.data);
    if (body.querySelector(`tr[data-turn="${CSS.escape(turn.id)}"]`)) return;
    body.querySelector('tr.empty')?.remove();
    body.insertAdjacentHTML('afterbegin', row);
    body.firstElementChild?.classList.add('fresh');
  });
})();
