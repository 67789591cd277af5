// The web chat: Hydrogen's whole app (RootViewModel + RootView) with the command center's header on top. Plain JS
// because it runs in the browser and the project's tsconfig is for Node; esbuild bundles it (src/web/build.ts).
import { createNavigation, createRouter, FeatureSet, Platform, RoomType, RootViewModel } from 'hydrogen-view-sdk';

const assetPaths = {
  downloadSandbox: 'assets/download-sandbox.html',
  worker: 'assets/main.js',
  serviceWorker: 'sw.js',
  olm: { wasm: 'olm/olm.wasm', legacyBundle: 'olm/olm_legacy.js', wasmBundle: 'olm/olm.js' },
};

async function main() {
  // Fetched here rather than by Hydrogen so the header knows the server name before anyone logs in.
  const config = await (await fetch('config.json', { cache: 'no-store' })).json();
  const container = document.getElementById('hydrogen');
  const platform = new Platform({ container, assetPaths, config, options: { development: false } });
  await platform.init();
  const features = await FeatureSet.load(platform.settingsStorage);
  const navigation = createNavigation();
  platform.setNavigation(navigation);
  const urlRouter = createRouter({ navigation, history: platform.history });
  urlRouter.attach();
  const vm = new RootViewModel({ platform, urlRouter, navigation, features });
  await vm.load();
  platform.createAndMountRootView(vm);
  mountStartChat({ vm, navigation, serverName: config.fleet?.serverName ?? '' });
}

/** The logged-in Hydrogen session. The SDK exports no accessor; the version is pinned, so its field names hold. */
const sessionOf = (vm) => vm._sessionViewModel?._client?.session;

/** "aaron.phillips", "@aaron.phillips" or "@aaron.phillips:anycompany.corp", several separated by commas or spaces. */
export function parseUserIds(text, serverName) {
  return text.split(/[\s,;]+/).filter(Boolean).map((ref) => {
    const bare = ref.replace(/^@/, '').toLowerCase();
    return bare.includes(':') ? `@${bare}` : `@${bare}:${serverName}`;
  });
}

/**
 * Hydrogen can only start a DM from someone's member details, i.e. with a person already in a shared room. The
 * fleet's employees do not exist until first contacted, so the header offers "Start chat": one id opens (or reuses)
 * a DM, several make a group room. `?chat=@id` in the URL does the same (the dashboard's "Chat" links).
 */
function mountStartChat({ vm, navigation, serverName }) {
  const form = document.getElementById('start-chat');
  const input = form.querySelector('input');
  const status = document.getElementById('start-chat-status');
  const sessionPath = navigation.observe('session');
  const update = () => { form.hidden = !sessionPath.get(); };
  sessionPath.subscribe(update);
  update();

  const startChat = async (text) => {
    const session = sessionOf(vm);
    const ids = parseUserIds(text, serverName).filter((id) => id !== session?.userId);
    if (!session || !ids.length) return;
    status.textContent = '';
    try {
      const existing = ids.length === 1 ? session.findDirectMessageForUserId(ids[0]) : undefined;
      let roomId = existing?.id;
      if (!roomId) {
        status.textContent = 'Starting the chat…';
        // Resolves once the homeserver created the room; the room view then follows it until the sync brings it.
        const created = await session.createRoom({ type: ids.length === 1 ? RoomType.DirectMessage : RoomType.Private, invites: ids });
        if (!created.roomId) throw created.error ?? new Error('the homeserver did not create the room');
        roomId = created.roomId;
        status.textContent = '';
      }
      navigation.push('room', roomId);
      input.value = '';
    } catch (err) {
      status.textContent = `Could not start the chat: ${err.message}`;
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void startChat(input.value);
  });

  const wanted = new URL(location.href).searchParams.get('chat');
  if (wanted) {
    // After login the session appears; open the chat once, then drop the parameter so a reload does not repeat it.
    const open = () => {
      if (!sessionOf(vm)?.rooms) return false;
      history.replaceState(null, '', location.pathname + location.hash);
      void startChat(wanted);
      return true;
    };
    const timer = setInterval(() => { if (open()) clearInterval(timer); }, 200);
  }
}

main().catch((err) => {
  console.error(err);
  document.getElementById('hydrogen').textContent = `The web chat could not start: ${err.message}`;
});
