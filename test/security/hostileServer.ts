/**
 * A hostile IAM (or metadata) server for the security suite: a raw TCP server on a loopback
 * address that parses just enough of each HTTP/1.1 request to record it, then hands the socket to
 * the case's responder, which writes whatever bytes it likes: lying headers, trickles, bombs,
 * redirects. Raw sockets, because a well-behaved HTTP server refuses to misbehave (Node's own
 * refuses a body longer than its Content-Length, for one).
 */
import * as net from "node:net";

/** One request as the server received it. */
export interface RecordedRequest {
  method: string;
  /** The request target (path and query). */
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/** Writes the answer to one request; the socket is the client's connection. */
export type Responder = (request: RecordedRequest, socket: net.Socket) => void;

/** The largest request head read, in bytes (the client under test sends a few hundred). */
const MAX_REQUEST_HEAD_BYTES = 64 * 1024;

/** A loopback server whose answers each test case scripts. */
export class HostileServer {
  /** Requests received since the last {@link HostileServer.respondWith}. */
  readonly requests: RecordedRequest[] = [];
  /** Connections accepted since the last {@link HostileServer.respondWith}. */
  connections = 0;
  /** Bytes written to clients since the last {@link HostileServer.respondWith}. */
  bytesSent = 0;
  private responder: Responder = (_request, socket) => sendJson(socket, 404, { code: 5, message: "no case" });
  private readonly sockets = new Set<net.Socket>();
  private idleWaiters: (() => void)[] = [];

  private constructor(
    private readonly server: net.Server,
    /** The address the server listens on. */
    readonly host: string,
    /** The port the server listens on. */
    readonly port: number,
  ) {}

  /** Starts a server on `host` (a loopback address) and a free port. */
  static async start(host = "127.0.0.1"): Promise<HostileServer> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, host, () => resolve());
    });
    const hostile = new HostileServer(server, host, (server.address() as net.AddressInfo).port);
    server.on("connection", (socket: net.Socket) => hostile.accept(socket));
    return hostile;
  }

  /** `http://<host>:<port>`. */
  get baseUrl(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** Sets how the next requests are answered, and forgets what was received so far. */
  respondWith(responder: Responder): void {
    this.responder = responder;
    this.requests.length = 0;
    this.connections = 0;
    this.bytesSent = 0;
  }

  /**
   * Resolves once every connection is closed (the client hung up or the answer ended), so that
   * {@link HostileServer.bytesSent} is final.
   */
  idle(): Promise<void> {
    if (this.sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Closes every connection and the server. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.connections++;
    this.sockets.add(socket);
    // A client that hangs up mid-answer is the point of several cases, not a failure here.
    socket.on("error", () => {});
    socket.on("close", () => {
      this.bytesSent += socket.bytesWritten;
      this.sockets.delete(socket);
      if (this.sockets.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    });
    let buffered = Buffer.alloc(0);
    let head:
      { method: string; path: string; headers: Record<string, string>; bodyStart: number } | undefined;
    let answered = false;
    socket.on("data", (chunk: Buffer) => {
      if (answered) return;
      buffered = Buffer.concat([buffered, chunk]);
      if (!head) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) {
          if (buffered.length > MAX_REQUEST_HEAD_BYTES) socket.destroy();
          return;
        }
        head = parseHead(buffered.subarray(0, end).toString("latin1"), end + 4);
      }
      const length = Number(head.headers["content-length"] ?? "0");
      if (buffered.length - head.bodyStart < length) return;
      answered = true;
      const request: RecordedRequest = {
        method: head.method,
        path: head.path,
        headers: head.headers,
        body: buffered.subarray(head.bodyStart, head.bodyStart + length).toString("utf8"),
      };
      this.requests.push(request);
      this.responder(request, socket);
    });
  }
}

function parseHead(text: string, bodyStart: number) {
  const [requestLine, ...lines] = text.split("\r\n");
  const [method = "", path = ""] = requestLine.split(" ");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method, path, headers, bodyStart };
}

/** The bytes of a status line and headers (with `Connection: close`), ready to write. */
export function responseHead(status: number, headers: Record<string, string | number> = {}): Buffer {
  const lines = [`HTTP/1.1 ${status} ${status < 300 ? "OK" : "Hostile"}`, "Connection: close"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
}

/** Writes a whole answer with a truthful Content-Length and closes the connection. */
export function send(
  socket: net.Socket,
  status: number,
  body: string | Buffer,
  headers: Record<string, string | number> = {},
): void {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  socket.end(Buffer.concat([responseHead(status, { "Content-Length": bytes.length, ...headers }), bytes]));
}

/** Writes a JSON answer and closes the connection. */
export function sendJson(
  socket: net.Socket,
  status: number,
  value: unknown,
  headers: Record<string, string | number> = {},
): void {
  send(socket, status, JSON.stringify(value), { "Content-Type": "application/json", ...headers });
}

/**
 * Writes `totalBytes` of body after `head`, in chunks, honouring backpressure, and stops as soon as
 * the client hangs up: a client that reads everything gets everything.
 */
export function stream(socket: net.Socket, head: Buffer, totalBytes: number, fill = 0x20): void {
  const chunk = Buffer.alloc(64 * 1024, fill);
  let remaining = totalBytes;
  const pump = (): void => {
    while (remaining > 0 && !socket.destroyed) {
      const piece = remaining >= chunk.length ? chunk : chunk.subarray(0, remaining);
      remaining -= piece.length;
      if (!socket.write(piece)) {
        socket.once("drain", pump);
        return;
      }
    }
    if (!socket.destroyed) socket.end();
  };
  socket.write(head);
  pump();
}

/**
 * Writes `bytes` one byte every `intervalMs`, then leaves the connection open; stops when the
 * client hangs up. The timer is the only waiting in the suite: it is the server being slow.
 */
export function trickle(socket: net.Socket, bytes: Buffer, intervalMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= bytes.length) {
      clearInterval(timer);
      return;
    }
    socket.write(bytes.subarray(at, at + 1));
    at++;
  }, intervalMs);
  socket.on("close", () => clearInterval(timer));
}
