import { createServer, type Server, type Socket } from 'node:net';

import { DarknetError } from '../errors.js';
import { JSON_ARRAY_CLOSE, JSON_ARRAY_OPEN, JSON_FRAME_SEPARATOR } from './demo-json.js';

/** AlexeyAB's http_stream.cpp headers, byte for byte (HTTP/1.0, the connection closed at the end). */
function headers(contentType: string): string {
  return (
    'HTTP/1.0 200 OK\r\n' +
    'Server: Mozarella/2.2\r\n' +
    'Accept-Range: bytes\r\n' +
    'Connection: close\r\n' +
    'Max-Age: 0\r\n' +
    'Expires: 0\r\n' +
    'Cache-Control: no-cache, private\r\n' +
    'Pragma: no-cache\r\n' +
    `Content-Type: ${contentType}\r\n` +
    '\r\n'
  );
}

const MJPEG_BOUNDARY = 'mjpegstream';

interface Client {
  socket: Socket;
  /** JSON: no frame sent yet (the first comes without a separator). */
  fresh: boolean;
}

/**
 * -json_port and -mjpeg_port: every client gets the stream from the frame
 * after it connects, whatever it sends (AlexeyAB's servers read nothing). A
 * client that stops reading is dropped once `maxBuffered` bytes wait for it:
 * the others and the detection never wait.
 */
export class StreamServer {
  readonly kind: 'json' | 'mjpeg';
  readonly port: number;
  readonly #server: Server;
  readonly #clients = new Set<Client>();
  readonly #maxBuffered: number;
  #closed = false;

  private constructor(server: Server, kind: 'json' | 'mjpeg', port: number, maxBuffered: number | undefined) {
    this.#server = server;
    this.kind = kind;
    this.port = port;
    this.#maxBuffered = maxBuffered ?? (kind === 'json' ? 1 << 20 : 8 << 20);
    server.on('connection', (socket) => this.#accept(socket));
  }

  /**
   * Listens on host:port (port 0: a free one); ERR_PORT_IN_USE when it can't.
   * maxBuffered: the bytes a client may leave unread (default 1 MiB of JSON,
   * 8 MiB of JPEGs).
   */
  static listen(kind: 'json' | 'mjpeg', port: number, host: string, maxBuffered?: number): Promise<StreamServer> {
    const server = createServer();
    return new Promise((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        const flag = kind === 'json' ? '-json_port' : '-mjpeg_port';
        reject(new DarknetError(`${flag} ${port}: cannot listen on ${host}:${port} (${error.code ?? error.message})`, 'ERR_PORT_IN_USE', { cause: error }));
      });
      server.listen(port, host, () => {
        const address = server.address();
        resolve(new StreamServer(server, kind, typeof address === 'object' && address ? address.port : port, maxBuffered));
      });
    });
  }

  #accept(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const client: Client = { socket, fresh: true };
    this.#clients.add(client);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => this.#clients.delete(client));
    socket.on('data', () => undefined); // the request: read and ignored
    socket.write(headers(this.kind === 'json' ? 'application/json' : `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`));
    if (this.kind === 'json') socket.write(JSON_ARRAY_OPEN);
  }

  #send(client: Client, ...pieces: (string | Uint8Array)[]): void {
    const { socket } = client;
    if (socket.destroyed) return;
    if (socket.writableLength > this.#maxBuffered) {
      socket.destroy(); // stalled
      return;
    }
    for (const piece of pieces) socket.write(piece);
  }

  /** One frame's JSON (frameJson) to every client. */
  sendJson(json: string): void {
    for (const client of this.#clients) {
      this.#send(client, client.fresh ? json : JSON_FRAME_SEPARATOR + json);
      client.fresh = false;
    }
  }

  /** One JPEG to every client. */
  sendJpeg(jpeg: Uint8Array): void {
    const head = `--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`;
    for (const client of this.#clients) this.#send(client, head, jpeg);
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Ends every client (JSON: the array closed) and stops listening. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const client of this.#clients) {
      if (this.kind === 'json' && !client.socket.destroyed) client.socket.write(JSON_ARRAY_CLOSE);
      client.socket.end();
      // a client that does not read is not waited for
      setTimeout(() => client.socket.destroy(), 1000).unref();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
