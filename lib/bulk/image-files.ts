import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';

/** File extensions of the formats darknet's stb_image decodes. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.tga', '.gif', '.psd', '.hdr', '.pnm', '.ppm', '.pgm', '.pic']);

function isImage(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && IMAGE_EXTENSIONS.has(name.slice(dot).toLowerCase());
}

const GLOB = /[*?[]/;

/** A glob (`*`, `?`, `[...]`, `**` across folders) as a regular expression over '/'-separated paths. */
function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; ++i) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        ++i;
        if (pattern[i + 1] === '/') {
          ++i;
          out += '(?:.*/)?';
        } else {
          out += '.*';
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        out += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else {
      out += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`);
}

async function walk(dir: string, recursive: boolean, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recursive) await walk(path, recursive, out);
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      out.push(path);
    }
  }
}

/**
 * Expands the CLI's image arguments: files as given (a missing one stays, so
 * that its error is reported in its own result), folders to the images in
 * them (and in their subfolders with `recursive`), globs to the files they
 * match. Order: as given, each expansion sorted.
 */
export async function expandImageArguments(args: readonly string[], { recursive = false } = {}): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    if (GLOB.test(arg)) {
      const segments = arg.split('/');
      const baseSegments: string[] = [];
      while (segments.length > 1 && !GLOB.test(segments[0] as string)) baseSegments.push(segments.shift() as string);
      const base = baseSegments.length ? baseSegments.join('/') || '/' : '.';
      const matcher = globToRegExp(segments.join('/'));
      const all: string[] = [];
      await walk(resolve(base), true, all);
      for (const path of all) {
        const rel = relative(resolve(base), path).split(sep).join('/');
        if (matcher.test(rel)) files.push(baseSegments.length ? join(base, rel) : rel);
      }
      continue;
    }
    let info;
    try {
      info = await stat(arg);
    } catch {
      files.push(arg);
      continue;
    }
    if (info.isDirectory()) {
      const found: string[] = [];
      await walk(arg, recursive, found);
      files.push(...found.filter((path) => isImage(path)));
    } else {
      files.push(arg);
    }
  }
  return files;
}
