package io.xin.media.s3;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * SHA-256 (FIPS 180-4) whose running state can be written down and read back. The JDK's digest cannot export its
 * state, and the bytes of an upload's finished parts live only in the bucket, where an unfinished multipart
 * upload cannot be read: so the state after each part is saved with the upload, and a restarted store goes on
 * hashing from there instead of reading the bytes again.
 * <p>
 * Not thread safe: owned by the upload whose bytes it hashes, under that upload's monitor.
 */
final class ResumableSha256
{
    private static final int BLOCK_BYTES = 64;
    private static final String FORMAT = "sha256v1";
    private static final int[] INITIAL = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    private static final int[] K = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    };

    private final int[] state;
    /** Bytes of an unfinished block; {@link #pending} of them are in use. */
    private final byte[] block = new byte[BLOCK_BYTES];
    private final int[] schedule = new int[64];
    private int pending;
    /** Bytes hashed so far. */
    private long length;

    ResumableSha256()
    {
        this.state = INITIAL.clone();
    }

    private ResumableSha256(final int[] state, final byte[] tail, final long length)
    {
        this.state = state;
        System.arraycopy(tail, 0, block, 0, tail.length);
        this.pending = tail.length;
        this.length = length;
    }

    /**
     * @return the number of bytes hashed so far.
     */
    long length()
    {
        return length;
    }

    /**
     * Hashes more bytes.
     *
     * @param bytes  an array.
     * @param offset where the bytes start in it.
     * @param count  how many.
     */
    void update(final byte[] bytes, final int offset, final int count)
    {
        int position = offset;
        int left = count;
        length += count;
        if (pending > 0)
        {
            final int take = Math.min(left, BLOCK_BYTES - pending);
            System.arraycopy(bytes, position, block, pending, take);
            pending += take;
            position += take;
            left -= take;
            if (pending < BLOCK_BYTES)
            {
                return;
            }
            compress(block, 0);
            pending = 0;
        }
        while (left >= BLOCK_BYTES)
        {
            compress(bytes, position);
            position += BLOCK_BYTES;
            left -= BLOCK_BYTES;
        }
        System.arraycopy(bytes, position, block, 0, left);
        pending = left;
    }

    /**
     * @return a copy to hash on from here, leaving this one as it is.
     */
    ResumableSha256 copy()
    {
        return new ResumableSha256(state.clone(), Arrays.copyOf(block, pending), length);
    }

    /**
     * @return the SHA-256 of the bytes hashed so far, 32 bytes; this hash is unchanged and may go on.
     */
    byte[] digest()
    {
        final ResumableSha256 last = copy();
        final byte[] padding = new byte[BLOCK_BYTES * 2];
        padding[0] = (byte)0x80;
        final int padLength = (pending < 56 ? 56 : 120) - pending;
        final long bits = length * 8;
        for (int i = 0; i < 8; i++)
        {
            padding[padLength + i] = (byte)(bits >>> (56 - 8 * i));
        }
        last.update(padding, 0, padLength + 8);
        final byte[] out = new byte[32];
        for (int i = 0; i < 8; i++)
        {
            final int word = last.state[i];
            out[4 * i] = (byte)(word >>> 24);
            out[4 * i + 1] = (byte)(word >>> 16);
            out[4 * i + 2] = (byte)(word >>> 8);
            out[4 * i + 3] = (byte)word;
        }
        return out;
    }

    /**
     * @return the running state as text: {@code sha256v1:<length>:<8 state words, hex>:<unfinished block, hex>}.
     */
    String export()
    {
        final StringBuilder words = new StringBuilder(64);
        for (final int word : state)
        {
            words.append(String.format("%08x", word));
        }
        return FORMAT + ":" + length + ":" + words + ":" + HexFormat.of().formatHex(block, 0, pending);
    }

    /**
     * @param text what {@link #export()} wrote.
     * @return the hash in that state.
     * @throws IllegalArgumentException if the text is not such a state.
     */
    static ResumableSha256 restore(final String text)
    {
        final String[] fields = text == null ? new String[0] : text.split(":", -1);
        if (fields.length != 4 || !FORMAT.equals(fields[0]) || fields[2].length() != 64)
        {
            throw new IllegalArgumentException("not a saved SHA-256 state: " + text);
        }
        final long length = Long.parseLong(fields[1]);
        final byte[] tail = HexFormat.of().parseHex(fields[3]);
        if (length < 0 || tail.length >= BLOCK_BYTES || length % BLOCK_BYTES != tail.length)
        {
            throw new IllegalArgumentException("inconsistent saved SHA-256 state: " + text);
        }
        final int[] state = new int[8];
        for (int i = 0; i < 8; i++)
        {
            state[i] = Integer.parseUnsignedInt(fields[2].substring(8 * i, 8 * i + 8), 16);
        }
        return new ResumableSha256(state, tail, length);
    }

    private void compress(final byte[] bytes, final int offset)
    {
        final int[] w = schedule;
        for (int t = 0; t < 16; t++)
        {
            final int i = offset + 4 * t;
            w[t] = (bytes[i] << 24) | ((bytes[i + 1] & 0xff) << 16) | ((bytes[i + 2] & 0xff) << 8) |
                (bytes[i + 3] & 0xff);
        }
        for (int t = 16; t < 64; t++)
        {
            final int s0 = Integer.rotateRight(w[t - 15], 7) ^ Integer.rotateRight(w[t - 15], 18) ^ (w[t - 15] >>> 3);
            final int s1 = Integer.rotateRight(w[t - 2], 17) ^ Integer.rotateRight(w[t - 2], 19) ^ (w[t - 2] >>> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        int a = state[0];
        int b = state[1];
        int c = state[2];
        int d = state[3];
        int e = state[4];
        int f = state[5];
        int g = state[6];
        int h = state[7];
        for (int t = 0; t < 64; t++)
        {
            final int s1 = Integer.rotateRight(e, 6) ^ Integer.rotateRight(e, 11) ^ Integer.rotateRight(e, 25);
            final int choose = (e & f) ^ (~e & g);
            final int t1 = h + s1 + choose + K[t] + w[t];
            final int s0 = Integer.rotateRight(a, 2) ^ Integer.rotateRight(a, 13) ^ Integer.rotateRight(a, 22);
            final int majority = (a & b) ^ (a & c) ^ (b & c);
            final int t2 = s0 + majority;
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }
}
