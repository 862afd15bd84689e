package org.versatune.pipeline.lm;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Raw little-endian dumps of flat arrays: a magic tag, the data type (FLOAT, DOUBLE, or BFLOAT16 / HALF for imported
 * 16-bit weights), the length, then the values. Saving and loading are bit-exact and stream in bounded chunks.
 */
public final class ParamIO {
    private static final int MAGIC = 0x56544131; // "VTA1"

    private ParamIO() {
    }

    public static void write(INDArray a, OutputStream raw) throws IOException {
        DataOutputStream out = new DataOutputStream(raw);
        out.writeInt(MAGIC);
        out.writeUTF(a.dataType().name());
        out.writeLong(a.length());
        NativeBytes.write(a, out);
        out.flush();
    }

    public static byte[] toBytes(INDArray a) {
        return NativeBytes.toBytes(a);
    }

    public static INDArray fromBytes(byte[] bytes, DataType type, long length) {
        return NativeBytes.fromBytes(bytes, type, length);
    }

    public static INDArray read(InputStream raw, String what) throws IOException {
        DataInputStream in = new DataInputStream(raw);
        DataType type;
        long n;
        try {
            if (in.readInt() != MAGIC) {
                throw new IOException(what + " is not a VersaTune array file");
            }
            type = DataType.valueOf(in.readUTF());
            n = in.readLong();
            NativeBytes.width(type);
        } catch (EOFException | IllegalArgumentException e) {
            throw new IOException(what + " is truncated or damaged: its header is incomplete", e);
        }
        try {
            return NativeBytes.read(in, type, new long[]{n}, what);
        } catch (EOFException e) {
            throw new IOException(what + " is truncated: the header announces " + n + " values ("
                    + n * NativeBytes.width(type) + " bytes) but the file ends before", e);
        }
    }
}
