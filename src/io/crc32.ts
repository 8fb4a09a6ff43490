// CRC-32 as in zlib, PNG and gzip (IEEE 802.3: reflected polynomial 0xEDB88320, initial value and final
// xor 0xFFFFFFFF), one table lookup per byte. Browser-safe.
//
// Incremental: crc32(b, crc32(a)) === crc32(a ++ b), so a file can be checked in pieces.
// It detects every single-bit error and every burst of up to 32 bits, whatever the length; other corruption
// slips through with probability about 2^-32. It is a check against accidents, not against
// someone forging a file.

const table = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The CRC-32 of `bytes`; pass the CRC of the bytes before them as `previous` to continue a running CRC. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** A CRC-32 as the 8 lowercase hex digits it is stored as. */
export function crc32Hex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, '0');
}
