// A tiny protocol-buffers writer: enough to encode an ONNX model (src/io/onnx.ts). Browser-safe, bytes only.
// Each function returns the bytes of one field (its tag, then its value); a message is its fields
// concatenated (`message`), and an embedded message is a length-delimited field holding those bytes.
// Encoding as https://protobuf.dev/programming-guides/encoding/ gives it:
//   tag       varint (field << 3 | wire type); wire types: 0 varint, 2 length-delimited, 5 fixed 32-bit
//   varint    7 bits a byte, least significant group first, high bit set on all but the last byte;
//             a negative int32/int64 is its 64-bit two's complement (10 bytes)
//   length-delimited   varint byte length, then the bytes (strings as UTF-8, embedded messages, packed)
//   packed    a repeated scalar field as one length-delimited field of its values back to back; parsers
//             accept it for proto2 repeated fields too ("parsers must be able to parse both").
// Numbers must be whole and within int64 range: anything else is a bug in the caller, thrown as an Error.

const varintWire = 0;
const lengthDelimitedWire = 2;

/** The varint bytes of a whole number (negative: as int64 two's complement). */
export function varintBytes(value: number | bigint): number[] {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error(`protobuf: varint ${value} is not a safe integer`);
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const tag = (field: number, wire: number): number[] => varintBytes((field << 3) | wire);

/** A varint field: int32, int64, enum, bool. */
export function varintField(field: number, value: number | bigint): Uint8Array {
  return Uint8Array.from([...tag(field, varintWire), ...varintBytes(value)]);
}

/** A length-delimited field holding `bytes`: a bytes field, or an embedded message's encoding. */
export function bytesField(field: number, bytes: Uint8Array): Uint8Array {
  const head = [...tag(field, lengthDelimitedWire), ...varintBytes(bytes.length)];
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}

const utf8 = new TextEncoder();

/** A string field (UTF-8). */
export function stringField(field: number, value: string): Uint8Array {
  return bytesField(field, utf8.encode(value));
}

/** A repeated varint field (int64 list), packed. */
export function packedVarintField(field: number, values: readonly (number | bigint)[]): Uint8Array {
  return bytesField(field, Uint8Array.from(values.flatMap((v) => varintBytes(v))));
}

/** A message: its fields' bytes in order (embed it with bytesField). */
export function message(...fields: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(fields.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of fields) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/** float32 values as raw little-endian bytes (what a bytes field such as ONNX's raw_data holds). */
export function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}

/** int64 values as raw little-endian bytes. */
export function int64Bytes(values: readonly (number | bigint)[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return out;
}
