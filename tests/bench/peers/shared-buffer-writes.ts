/**
 * onnxruntime-web's wasm builds are threaded: their heap is a SharedArrayBuffer even with one
 * thread, and they upload by handing `queue.writeBuffer` the heap itself (JSEP) or views of it
 * (the native WebGPU EP). Browsers accept that; Dawn's Node bindings reject it ("no overload
 * matched for writeBuffer"). This wraps one queue's writeBuffer to copy such data into a plain
 * buffer first. Only that queue changes; other devices (vitc's) are untouched.
 */
export function copySharedWrites(queue: GPUQueue): void {
  // Typed loosely: @webgpu/types names the data parameter with DOM types this project does not load.
  const write = queue.writeBuffer as (this: GPUQueue, b: GPUBuffer, o: number, d: ArrayBufferView | ArrayBufferLike, dOff?: number, size?: number) => void;
  const wrapped = function (
    this: GPUQueue,
    buffer: GPUBuffer,
    bufferOffset: number,
    data: ArrayBufferView | ArrayBufferLike,
    dataOffset?: number,
    size?: number,
  ): void {
    const backing = ArrayBuffer.isView(data) ? data.buffer : data;
    if (!(backing instanceof SharedArrayBuffer)) return write.call(this, buffer, bufferOffset, data, dataOffset, size);
    // dataOffset and size count elements for typed arrays and bytes for (Shared)ArrayBuffers.
    const unit = ArrayBuffer.isView(data) ? ((data as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1) : 1;
    const viewStart = ArrayBuffer.isView(data) ? data.byteOffset : 0;
    const viewBytes = data.byteLength;
    const start = (dataOffset ?? 0) * unit;
    const bytes = size !== undefined ? size * unit : viewBytes - start;
    const copy = new Uint8Array(bytes);
    copy.set(new Uint8Array(backing, viewStart + start, bytes));
    return write.call(this, buffer, bufferOffset, copy, 0, bytes);
  };
  Object.defineProperty(queue, 'writeBuffer', { value: wrapped, configurable: true, writable: true });
}
