package org.versatune.pipeline.lm;

import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteOrder;

/**
 * An array's values as raw little-endian bytes, copied straight between its native memory and a stream in bounded
 * chunks: no heap copy of the whole array, so arrays beyond 2 GB (a 16-bit 8B model is 16 GB) move as small ones do.
 */
final class NativeBytes {
    /** One copy holds at most this many bytes on the heap. */
    static final int CHUNK = 1 << 24;

    private NativeBytes() {
    }

    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("array files are little-endian; this machine is " + ByteOrder.nativeOrder());
        }
    }

    /** Bytes per value of the types we keep parameters in. */
    static int width(DataType t) {
        return switch (t) {
            case FLOAT -> 4;
            case DOUBLE -> 8;
            case BFLOAT16, HALF -> 2;
            default -> throw new IllegalArgumentException("unsupported data type " + t);
        };
    }

    /** The native memory of a contiguous, non-view array (a copy of it otherwise), as bytes. */
    private static BytePointer bytes(INDArray a) {
        long n = a.length() * width(a.dataType());
        return new BytePointer(a.data().addressPointer()).capacity(n).limit(n);
    }

    static INDArray dense(INDArray a) {
        return a.isView() || a.ordering() != 'c' ? a.dup('c') : a;
    }

    /** Writes every value of {@code a} (flattened in row-major order). */
    static void write(INDArray a, OutputStream out) throws IOException {
        INDArray d = dense(a);
        BytePointer p = bytes(d);
        long n = p.limit();
        byte[] buf = new byte[(int) Math.min(CHUNK, n)];
        for (long at = 0; at < n; at += buf.length) {
            int len = (int) Math.min(buf.length, n - at);
            p.position(at).get(buf, 0, len);
            out.write(buf, 0, len);
        }
    }

    /** A new array of {@code type} and {@code shape} filled from the stream. */
    static INDArray read(InputStream in, DataType type, long[] shape, String what) throws IOException {
        INDArray a = Nd4j.createUninitialized(type, shape, 'c');
        BytePointer p = bytes(a);
        long n = p.limit();
        byte[] buf = new byte[(int) Math.min(CHUNK, Math.max(1, n))];
        for (long at = 0; at < n; ) {
            int len = (int) Math.min(buf.length, n - at);
            int r = in.readNBytes(buf, 0, len);
            if (r < len) {
                throw new EOFException(what + " ends after " + (at + r) + " of " + n + " data bytes");
            }
            p.position(at).put(buf, 0, len);
            at += len;
        }
        return a;
    }

    /** A new array from little-endian bytes (e.g. a broadcast payload). */
    static INDArray fromBytes(byte[] bytes, DataType type, long length) {
        INDArray a = Nd4j.createUninitialized(type, new long[]{length}, 'c');
        BytePointer p = bytes(a);
        if (p.limit() != bytes.length) {
            throw new IllegalArgumentException(bytes.length + " bytes do not hold " + length + " values of " + type);
        }
        p.position(0).put(bytes, 0, bytes.length);
        return a;
    }

    /** Every value as little-endian bytes (arrays under 2 GB). */
    static byte[] toBytes(INDArray a) {
        long n = a.length() * width(a.dataType());
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("an array of " + n + " bytes does not fit one byte array");
        }
        byte[] out = new byte[(int) n];
        bytes(dense(a)).position(0).get(out, 0, out.length);
        return out;
    }
}
