package org.versatune.pipeline.lm;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Raw little-endian dumps of flat arrays: a magic tag, the data type, the length, then the values. Saving and
 * loading are bit-exact.
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
        byte[] bytes = toBytes(a);
        out.write(bytes);
        out.flush();
    }

    public static byte[] toBytes(INDArray a) {
        INDArray flat = a.reshape(a.length());
        ByteBuffer bb;
        if (a.dataType() == DataType.FLOAT) {
            float[] v = flat.toFloatVector();
            bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().put(v);
        } else if (a.dataType() == DataType.DOUBLE) {
            double[] v = flat.toDoubleVector();
            bb = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            bb.asDoubleBuffer().put(v);
        } else {
            throw new IllegalArgumentException("unsupported data type " + a.dataType());
        }
        return bb.array();
    }

    public static INDArray fromBytes(byte[] bytes, DataType type, long length) {
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (type == DataType.FLOAT) {
            float[] v = new float[(int) length];
            bb.asFloatBuffer().get(v);
            return Nd4j.createFromArray(v);
        }
        double[] v = new double[(int) length];
        bb.asDoubleBuffer().get(v);
        return Nd4j.createFromArray(v);
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
        } catch (EOFException | IllegalArgumentException e) {
            throw new IOException(what + " is truncated or damaged: its header is incomplete", e);
        }
        int width = type == DataType.FLOAT ? 4 : 8;
        byte[] bytes = new byte[Math.toIntExact(n * width)];
        try {
            in.readFully(bytes);
        } catch (EOFException e) {
            throw new IOException(what + " is truncated: the header announces " + n + " values (" + bytes.length
                    + " bytes) but the file ends before", e);
        }
        return fromBytes(bytes, type, n);
    }
}
