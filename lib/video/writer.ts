import { spawn, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';

import { DarknetError } from '../errors.js';
import { lowerPriority, track } from './children.js';
import { ffmpegPath } from './ffmpeg.js';

/** Containers whose usual codecs want 4:2:0 (h264, vp9, mpeg4): players refuse 4:4:4 there. */
const YUV420 = new Set(['.mp4', '.m4v', '.mkv', '.mov', '.avi', '.webm', '.flv', '.ts', '.mpg', '.mpeg', '.3gp']);
/**
 * Containers FFmpeg fills with h264 (libx264) by default: encoded at its
 * superfast preset. On the bench's 720p clip it costs 6.6 ms of a core a
 * frame where veryfast costs 9.2 and the default, medium, about twice
 * that, and its file was the smaller of the two fast ones (ultrafast: 5.1
 * ms, but files twice as large): the encoder's CPU comes out of the
 * network's on a small machine.
 */
const H264 = new Set(['.mp4', '.m4v', '.mkv', '.mov', '.flv', '.ts', '.3gp']);

export function encoderArguments(path: string, width: number, height: number, fps: number): string[] {
  const ext = extname(path).toLowerCase();
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-video_size', `${width}x${height}`, '-framerate', String(fps), '-i', 'pipe:0',
    '-an',
    ...(YUV420.has(ext) ? ['-pix_fmt', 'yuv420p'] : []),
    ...(H264.has(ext) ? ['-preset', 'superfast'] : []),
    // one encoding thread: a frame at a time comes in, and the network's
    // threads have the cores (x264's own threads cost more CPU for the same frames)
    '-threads', '1',
    path,
  ];
}

/**
 * A video written through FFmpeg from raw RGB frames of one size, at the
 * source's frame rate; the container and codec follow the file's extension
 * (FFmpeg's defaults: h264 for .mp4 and .mkv, mpeg4 for .avi, ...).
 */
export class VideoWriter {
  readonly path: string;
  readonly #child: ChildProcess;
  readonly #frameBytes: number;
  #stderr = '';
  #failure: DarknetError | undefined;
  readonly #exited: Promise<void>;
  #ended = false;

  constructor(path: string, width: number, height: number, fps: number) {
    this.path = path;
    this.#frameBytes = width * height * 3;
    const child = spawn(ffmpegPath(), encoderArguments(path, width, height, fps), { stdio: ['pipe', 'ignore', 'pipe'] });
    this.#child = child;
    track(child);
    lowerPriority(child);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-2000);
    });
    // a broken pipe is reported by the exit status below
    child.stdin!.on('error', () => undefined);
    this.#exited = new Promise((resolve) => {
      child.on('error', (error) => {
        this.#failure ??= new DarknetError(`output ${path}: could not start FFmpeg: ${error.message}`, 'ERR_FFMPEG_NOT_FOUND');
        resolve();
      });
      child.on('close', (code, signal) => {
        if (code !== 0 && !this.#failure) {
          const words = this.#stderr.trim().split('\n').slice(-2).join(' / ') || `exit ${code ?? signal}`;
          this.#failure = new DarknetError(`output ${path}: FFmpeg could not write the video: ${words}`, 'ERR_VIDEO_OUTPUT');
        }
        resolve();
      });
    });
  }

  /** Writes one frame; resolves when FFmpeg can take more (back-pressure). */
  async write(rgb: Uint8Array): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (rgb.length !== this.#frameBytes) {
      throw new DarknetError(`output ${this.path}: a frame of ${rgb.length} bytes where the video's frames have ${this.#frameBytes} (the source changed size)`, 'ERR_VIDEO_OUTPUT');
    }
    const stdin = this.#child.stdin!;
    if (!stdin.write(rgb)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stdin.off('drain', done);
          this.#child.off('close', done);
          resolve();
        };
        stdin.on('drain', done);
        this.#child.on('close', done);
      });
    }
    if (this.#failure) throw this.#failure;
  }

  /** Ends the video (FFmpeg writes the container's index) and waits for FFmpeg. */
  async close(): Promise<void> {
    if (!this.#ended) {
      this.#ended = true;
      this.#child.stdin!.end();
    }
    await this.#exited;
    if (this.#failure) throw this.#failure;
  }

  /** Stops at once (the file may be incomplete). Idempotent. */
  abort(): void {
    this.#ended = true;
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }
}
