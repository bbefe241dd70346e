import { readFile } from 'node:fs/promises';
import { DarknetError } from './errors.js';
import { checkInputFile } from './files.js';
import { join } from 'node:path';

import { darknetRoot, resolveDarknetPath } from './paths.js';

/** darknet's default names list for ImageNet classifiers (via cfg/imagenet1k.data). */
export const IMAGENET_NAMES = 'data/imagenet.shortnames.list';

/**
 * Splits a names list the way darknet's get_labels reads it (fgetl per line):
 * one label per '\n'-terminated line, a trailing newline adds no label, and
 * nothing else is trimmed: on Linux and macOS not even '\r'; on Windows,
 * where darknet's fopen(path, "r") reads in text mode, "\r\n" is a line end.
 */
export function splitLines(text: string, platform: NodeJS.Platform = process.platform): string[] {
  const lines = (platform === 'win32' ? text.replace(/\r\n/g, '\n') : text).split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Reads a names list (one label per line). */
export async function readLabels(path: string): Promise<string[]> {
  const absolute = await checkInputFile(path, 'labels');
  const labels = splitLines(await readFile(absolute, 'utf8'));
  if (labels.length === 0) {
    throw new DarknetError(`labels file ${path} has no labels`, 'ERR_INVALID_LABELS');
  }
  return labels;
}

/**
 * Parses a darknet .data file as read_data_cfg does: every space and tab is
 * removed, lines starting with '#' or ';' are comments, and each other line is
 * key=value.
 */
export async function readDataFile(path: string): Promise<Map<string, string>> {
  const absolute = await checkInputFile(path, 'data');
  const options = new Map<string, string>();
  const lines = splitLines(await readFile(absolute, 'utf8'));
  lines.forEach((raw, i) => {
    const line = raw.replace(/[ \t\n]/g, '');
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const eq = line.indexOf('=');
    if (eq < 0) {
      throw new DarknetError(`data file ${path} line ${i + 1}: expected key=value, got "${line}"`, 'ERR_INVALID_LABELS');
    }
    options.set(line.slice(0, eq), line.slice(eq + 1));
  });
  return options;
}

/** What a .data file says about classification, as predict_classifier reads it. */
export interface DataFileOptions {
  /** The names list (names=, else labels=, else data/labels.list), resolved. */
  names: string;
  /** top=, default 1. */
  top: number;
}

export async function readClassifierData(path: string): Promise<DataFileOptions> {
  const options = await readDataFile(path);
  const names = options.get('names') ?? options.get('labels') ?? 'data/labels.list';
  const top = Number.parseInt(options.get('top') ?? '1', 10);
  return { names: resolveDarknetPath(names), top: Number.isFinite(top) && top > 0 ? top : 1 };
}

/** Labels for a network's outputs: a list, a names file, a .data file, or darknet's default. */
export type LabelsOption = string | readonly string[];

let imagenetNames: Promise<string[]> | undefined;

export async function resolveLabels(option: LabelsOption | undefined, outputs: number): Promise<string[]> {
  if (Array.isArray(option)) {
    if (!option.every((label) => typeof label === 'string')) {
      throw new DarknetError('labels must be an array of strings', 'ERR_INVALID_LABELS');
    }
    return [...option];
  }
  if (typeof option === 'string') {
    if (option.endsWith('.data')) return readLabels((await readClassifierData(option)).names);
    return readLabels(option);
  }
  if (option !== undefined) {
    throw new DarknetError('labels must be a file path or an array of strings', 'ERR_INVALID_LABELS');
  }
  // ./darknet classify uses cfg/imagenet1k.data's names for every network; we
  // do so where the list has a name for every output.
  imagenetNames ??= readLabels(join(darknetRoot, IMAGENET_NAMES));
  const imagenet = await imagenetNames;
  return outputs <= imagenet.length ? imagenet : [];
}

/** The label of output `index`: its name, or the index itself where the list has none. */
export function labelOf(labels: readonly string[], index: number): string {
  return labels[index] ?? String(index);
}

/**
 * darknet's names lists for its detectors, by the head's class count (the
 * .data files of cfg/: coco.data, voc.data, 9k names for yolo9000,
 * openimages.data).
 */
export const DETECTOR_NAMES: ReadonlyMap<number, string> = new Map([
  [80, 'data/coco.names'],
  [20, 'data/voc.names'],
  [9418, 'data/9k.names'],
  [601, 'data/openimages.names'],
]);

/**
 * Labels for a detector with `classes` classes: `option` as resolveLabels
 * reads it (a .data file's names=, as test_detector reads it, default
 * data/names.list), else darknet's list for that class count, else none
 * (labels read as the index). A list shorter than `classes` is refused:
 * darknet's draw_detections would read past its end.
 */
export async function resolveDetectorLabels(option: LabelsOption | undefined, classes: number): Promise<string[]> {
  let labels: string[];
  if (typeof option === 'string' && option.endsWith('.data')) {
    const data = await readDataFile(option);
    labels = await readLabels(resolveDarknetPath(data.get('names') ?? 'data/names.list'));
  } else if (option !== undefined) {
    labels = await resolveLabels(option, classes);
  } else {
    const names = DETECTOR_NAMES.get(classes);
    labels = names ? await readLabels(join(darknetRoot, names)) : [];
  }
  if (labels.length > 0 && labels.length < classes) {
    throw new DarknetError(
      `labels: ${labels.length} names for a detector with ${classes} classes (darknet would read past the end of the list)`,
      'ERR_INVALID_LABELS',
    );
  }
  return labels;
}
