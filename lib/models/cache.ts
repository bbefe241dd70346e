import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where downloaded weights are kept: DARKNET_NAPI_CACHE, else the platform's
 * cache folder ($XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on
 * macOS, %LOCALAPPDATA%\darknet-napi\Cache on Windows: local, not roaming, as
 * a cache of large files should be).
 */
export function cacheDir(): string {
  const override = process.env.DARKNET_NAPI_CACHE;
  if (override) return override;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'darknet-napi');
  if (process.platform === 'win32') {
    return join(process.env.LOCALAPPDATA || join(homedir(), 'AppData', 'Local'), 'darknet-napi', 'Cache');
  }
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'darknet-napi');
}
