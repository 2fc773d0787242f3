/**
 * RegisterResource on the wire, for the stand-in engine (./fake-engine.ts): the request's few fields
 * it reads, with the inputs (`object`) kept as the bytes the program sent, and a response that
 * echoes those bytes back as the outputs. The real engine is Go and decodes a registration in a
 * fraction of the time google-protobuf's JavaScript takes; decoding and re-encoding every fleet's
 * inputs here made the program wait on the stand-in, and the bench timed that wait as the program's.
 *
 * Field numbers are those of pulumi's resource.proto (RegisterResourceRequest: type 1, name 2,
 * parent 3, custom 4, object 5, sourcePosition 29; RegisterResourceResponse: urn 1, id 2,
 * object 3) and source.proto (SourcePosition: uri 1, line 2, column 3).
 */

export interface RegisterRequest {
  type: string;
  name: string;
  parent: string;
  custom: boolean;
  /** The inputs as a serialized google.protobuf.Struct, untouched. */
  object?: Buffer;
  /** "uri#line,column", or "" when the SDK sent none. */
  sourcePosition: string;
}

export interface RegisterResponse {
  urn: string;
  id: string;
  object?: Buffer;
}

type Field = { number: number; varint?: number; bytes?: Buffer };

/** The top-level fields of one message; groups (wire types 3 and 4) are not used by these messages. */
function* fields(buf: Buffer): Generator<Field> {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (at >= buf.length) throw new Error("register-wire: truncated varint");
      const byte = buf[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < buf.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        yield { number, varint: varint() };
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const length = varint();
        yield { number, bytes: buf.subarray(at, at + length) };
        at += length;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new Error(`register-wire: wire type ${key & 7} of field ${number} is not supported`);
    }
  }
}

function sourcePosition(buf: Buffer): string {
  let [uri, line, column] = ["", 0, 0];
  for (const f of fields(buf)) {
    if (f.number === 1) uri = f.bytes!.toString("utf8");
    if (f.number === 2) line = f.varint!;
    if (f.number === 3) column = f.varint!;
  }
  return `${uri}#${line},${column}`;
}

export function readRegisterRequest(buf: Buffer): RegisterRequest {
  const request: RegisterRequest = { type: "", name: "", parent: "", custom: false, sourcePosition: "" };
  for (const f of fields(buf)) {
    if (f.number === 1) request.type = f.bytes!.toString("utf8");
    else if (f.number === 2) request.name = f.bytes!.toString("utf8");
    else if (f.number === 3) request.parent = f.bytes!.toString("utf8");
    else if (f.number === 4) request.custom = f.varint !== 0;
    else if (f.number === 5) request.object = f.bytes;
    else if (f.number === 29) request.sourcePosition = sourcePosition(f.bytes!);
  }
  return request;
}

function varintBytes(value: number): number[] {
  const out: number[] = [];
  for (; value >= 0x80; value = Math.floor(value / 128)) out.push((value & 0x7f) | 0x80);
  out.push(value);
  return out;
}

function lengthDelimited(number: number, bytes: Buffer): Buffer[] {
  return [Buffer.from([...varintBytes(number * 8 + 2), ...varintBytes(bytes.length)]), bytes];
}

export function writeRegisterResponse(response: RegisterResponse): Buffer {
  const parts: Buffer[] = [];
  if (response.urn) parts.push(...lengthDelimited(1, Buffer.from(response.urn, "utf8")));
  if (response.id) parts.push(...lengthDelimited(2, Buffer.from(response.id, "utf8")));
  if (response.object) parts.push(...lengthDelimited(3, response.object));
  return Buffer.concat(parts);
}
