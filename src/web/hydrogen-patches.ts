import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

/**
 * Source edits to Hydrogen at bundle time. The agents cannot read end-to-end encrypted rooms (the fleet has no
 * crypto), and Hydrogen encrypts every private room and DM it creates with no setting to change that. Its view
 * models are not exported, so the defaults are changed in the SDK's source; the user can still tick "encrypted"
 * when creating a room by hand. Each edit must match exactly once, so an SDK upgrade that moves the code fails the
 * build instead of silently creating encrypted rooms again.
 */
export const HYDROGEN_EDITS: ReadonlyArray<{ why: string; from: string; to: string }> = [
  {
    why: 'DMs and private rooms created from code (start chat, member details) default to unencrypted',
    from: `    case RoomType.DirectMessage:
    case RoomType.Private:
      return true;
    case RoomType.Public:
      return false;`,
    to: `    case RoomType.DirectMessage:
    case RoomType.Private:
    case RoomType.Public:
      return false;`,
  },
  {
    why: 'the "Create Room" form starts with encryption unticked',
    from: `    this._isPublic = false;
    this._isEncrypted = true;`,
    to: `    this._isPublic = false;
    this._isEncrypted = false;`,
  },
];

export function applyHydrogenEdits(source: string): string {
  let out = source;
  for (const edit of HYDROGEN_EDITS) {
    const count = out.split(edit.from).length - 1;
    if (count !== 1) throw new Error(`hydrogen-view-sdk changed: the edit "${edit.why}" matches ${count} times instead of once`);
    out = out.replace(edit.from, edit.to);
  }
  return out;
}

export const hydrogenPatches: Plugin = {
  name: 'hydrogen-patches',
  setup(build) {
    // Hydrogen imports Olm's script only so that vite copies it; at run time it loads olm/olm.js by a script tag
    // (assetPaths), so the import is left empty instead of bundling Node-only code paths.
    build.onResolve({ filter: /^@matrix-org\/olm\/olm\.js$/ }, () => ({ path: 'olm-loaded-by-script-tag', namespace: 'empty' }));
    build.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: '', loader: 'js' }));
    build.onLoad({ filter: /hydrogen-view-sdk[\\/]lib-build[\\/]hydrogen\.es\.js$/ }, async (args) => ({
      contents: applyHydrogenEdits(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};
