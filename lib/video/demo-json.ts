import { formatFixed } from '../format.js';
import type { Detection } from '../network.js';

/**
 * One frame as AlexeyAB's darknet writes it to -json_port and
 * -json_file_output (src/network.c, detection_to_json), byte for byte: its
 * own spacing and newlines, numbers as C's %f, one object per box and class
 * above the threshold (and above detection_to_json's own 0.005), box order
 * then class order, classes whose name begins with "dont_show" left out.
 * Names are JSON-escaped (darknet prints them raw, which breaks the JSON for
 * a name with a quote or a backslash; for other names the bytes are the same).
 */
export function frameJson(frameId: number, detections: readonly Detection[]): string {
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
  return `{\n "frame_id":${frameId}, \n "objects": [ \n${objects.join(', \n')}\n ] \n}`;
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
