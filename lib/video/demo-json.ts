import { formatFixed } from '../format.js';
import type { Detection } from '../network.js';

/**
 * One frame as AlexeyAB's darknet writes it to -json_port and
 * -json_file_output (src/network.c, detection_to_json), byte for byte (with
 * `filename`, one image of detector test's `-out result.json`): its
 * own spacing and newlines, numbers as C's %f, one object per box and class
 * above the threshold (and above detection_to_json's own 0.005), box order
 * then class order, classes whose name begins with "dont_show" left out.
 * Names are JSON-escaped (darknet prints them raw, which breaks the JSON for
 * a name with a quote or a backslash; for other names the bytes are the same).
 */
export function frameJson(frameId: number, detections: readonly Detection[], filename?: string): string {
  const objects: string[] = [];
  for (const d of detections) {
    if (!(d.probability > 0.005) || d.label.startsWith('dont_show')) continue;
    const { x, y, width, height } = d.relativeBox;
    // darknet's float centre (relativeBox keeps the corner, computed exactly in doubles)
    const centerX = Math.fround(x + width / 2);
    const centerY = Math.fround(y + height / 2);
    objects.push(
      `  {"class_id":${d.classIndex}, "name":${JSON.stringify(d.label)}, "relative_coordinates":{"center_x":${formatFixed(centerX, 6)}, "center_y":${formatFixed(centerY, 6)}, "width":${formatFixed(width, 6)}, "height":${formatFixed(height, 6)}}, "confidence":${formatFixed(d.probability, 6)}}`,
    );
  }
  // detector test's -out result.json names each image (escaped as the names are)
  const file = filename === undefined ? '' : ` \n "filename":${JSON.stringify(filename)},`;
  return `{\n "frame_id":${frameId},${file} \n "objects": [ \n${objects.join(', \n')}\n ] \n}`;
}

/** The whole -json_file_output file's pieces: "[\n", frames separated by ", \n", then "\n]". */
export const JSON_ARRAY_OPEN = '[\n';
export const JSON_FRAME_SEPARATOR = ', \n';
export const JSON_ARRAY_CLOSE = '\n]';

/**
 * -ext_output's box after a "label: NN%" line (AlexeyAB's image.c):
 * "\t(left_x: %4.0f   top_y: %4.0f   width: %4.0f   height: %4.0f)", from
 * darknet's relative box times the image's size, rounded.
 */
export function extOutput(d: Detection, width: number, height: number): string {
  const f = Math.fround;
  const { x, y, width: w, height: h } = d.relativeBox;
  const [cx, cy] = [f(x + w / 2), f(y + h / 2)];
  // C's round(): half away from zero
  const field = (value: number): string => formatFixed(Math.sign(value) * Math.round(Math.abs(value)), 0).padStart(4, ' ');
  // float arithmetic, as darknet's (bbox.x - bbox.w/2)*im.w
  return `\t(left_x: ${field(f(f(cx - f(w / 2)) * width))}   top_y: ${field(f(f(cy - f(h / 2)) * height))}   width: ${field(f(w * width))}   height: ${field(f(h * height))})`;
}

/** The label folders AlexeyAB's replace_image_to_label swaps in (COCO's, PascalVOC's). */
const LABEL_FOLDERS: [string, string][] = [
  ['/images/train2017/', '/labels/train2017/'],
  ['/images/val2017/', '/labels/val2017/'],
  ['/JPEGImages/', '/labels/'],
  ['\\images\\train2017\\', '\\labels\\train2017\\'],
  ['\\images\\val2017\\', '\\labels\\val2017\\'],
  ['\\images\\train2014\\', '\\labels\\train2014\\'],
  ['\\images\\val2014\\', '\\labels\\val2014\\'],
  ['/images/train2014/', '/labels/train2014/'],
  ['/images/val2014/', '/labels/val2014/'],
  ['\\JPEGImages\\', '\\labels\\'],
];

/**
 * -save_labels' file for an image (AlexeyAB's replace_image_to_label): COCO's
 * and PascalVOC's image folders become their label folders, and the image's
 * extension (.jpg, .jpeg, .png, .bmp, .ppm, .tiff, in either case) .txt;
 * undefined when the extension is none of those.
 */
export function labelPathOf(image: string): string | undefined {
  let path = image.trim();
  for (const [from, to] of LABEL_FOLDERS) path = path.replace(from, to);
  const ext = /\.(jpg|jpeg|png|bmp|ppm|tiff)$/i.exec(path);
  if (!ext || ![ext[1]!.toLowerCase(), ext[1]!.toUpperCase()].includes(ext[1]!)) return undefined;
  return `${path.slice(0, ext.index)}.txt`;
}

/**
 * -save_labels' lines: for each box its most probable class above the
 * threshold, "%d %2.4f %2.4f %2.4f %2.4f" of darknet's centre and size.
 */
export function labelLines(detections: readonly Detection[]): string {
  // detections come box by box (classes ascending): one line per box
  const lines: string[] = [];
  let previous: Detection | undefined;
  let best: Detection | undefined;
  const flush = (): void => {
    if (!best) return;
    const { x, y, width, height } = best.relativeBox;
    const cells = [Math.fround(x + width / 2), Math.fround(y + height / 2), width, height].map((v) => formatFixed(v, 4).padStart(2, ' '));
    lines.push(`${best.classIndex} ${cells.join(' ')}\n`);
  };
  for (const d of detections) {
    const sameBox = previous !== undefined && previous.relativeBox.x === d.relativeBox.x && previous.relativeBox.y === d.relativeBox.y && previous.relativeBox.width === d.relativeBox.width && previous.relativeBox.height === d.relativeBox.height && previous.objectness === d.objectness;
    if (!sameBox) {
      flush();
      best = d;
    } else if (best && d.probability > best.probability) {
      best = d;
    }
    previous = d;
  }
  flush();
  return lines.join('');
}
