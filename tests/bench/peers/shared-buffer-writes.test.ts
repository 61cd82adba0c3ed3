import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copySharedWrites } from './shared-buffer-writes.js';

/** A stand-in queue that, like Dawn's, refuses shared memory and records what it was given. */
function fakeQueue() {
  const writes: { offset: number; bytes: number[]; dataOffset: number | undefined; size: number | undefined }[] = [];
  const queue = {
    writeBuffer(_buffer: unknown, offset: number, data: ArrayBufferView | ArrayBufferLike, dataOffset?: number, size?: number) {
      const backing = ArrayBuffer.isView(data) ? data.buffer : data;
      if (backing instanceof SharedArrayBuffer) throw new TypeError('no overload matched for writeBuffer');
      const view = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
      writes.push({ offset, bytes: [...view], dataOffset, size });
    },
  };
  return { queue: queue as unknown as GPUQueue, writes };
}

function sharedBytes(n: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(n);
  new Uint8Array(sab).forEach((_, i, a) => (a[i] = i));
  return sab;
}

describe('copySharedWrites', () => {
  it('copies the addressed bytes of a SharedArrayBuffer (offsets in bytes)', () => {
    const { queue, writes } = fakeQueue();
    copySharedWrites(queue);
    queue.writeBuffer({} as GPUBuffer, 16, sharedBytes(32), 4, 8);
    assert.deepEqual(writes, [{ offset: 16, bytes: [4, 5, 6, 7, 8, 9, 10, 11], dataOffset: 0, size: 8 }]);
  });

  it('copies a typed view of shared memory (offsets in elements)', () => {
    const { queue, writes } = fakeQueue();
    copySharedWrites(queue);
    const view = new Uint32Array(sharedBytes(64), 8, 6); // bytes 8..31
    queue.writeBuffer({} as GPUBuffer, 0, view, 1, 2); // elements 1..2 = bytes 12..19
    assert.deepEqual(writes[0]!.bytes, [12, 13, 14, 15, 16, 17, 18, 19]);
    queue.writeBuffer({} as GPUBuffer, 0, view, 4); // elements 4..5 = bytes 24..31
    assert.deepEqual(writes[1]!.bytes, [24, 25, 26, 27, 28, 29, 30, 31]);
  });

  it('passes unshared data through untouched', () => {
    const { queue, writes } = fakeQueue();
    copySharedWrites(queue);
    const data = new Float32Array([1, 2, 3]);
    queue.writeBuffer({} as GPUBuffer, 4, data, 1, 2);
    assert.equal(writes[0]!.dataOffset, 1);
    assert.equal(writes[0]!.size, 2);
    assert.equal(writes[0]!.bytes.length, 12);
  });
});
