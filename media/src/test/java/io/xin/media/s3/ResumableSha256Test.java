package io.xin.media.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import org.junit.jupiter.api.Test;

class ResumableSha256Test
{
    @Test
    void knownAnswers()
    {
        // FIPS 180-4 examples: empty, "abc", and the two-block message.
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex(""));
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hex("abc"));
        assertEquals("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
    }

    @Test
    void matchesTheJdkForEveryLengthAroundTheBlockAndPaddingEdges() throws Exception
    {
        final byte[] data = new byte[300];
        new Random(7).nextBytes(data);
        for (int length = 0; length <= data.length; length++)
        {
            final ResumableSha256 hash = new ResumableSha256();
            hash.update(data, 0, length);
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(java.util.Arrays.copyOf(data, length)),
                hash.digest(), "length " + length);
        }
    }

    @Test
    void goesOnFromAnExportedStateAtAnySplit() throws Exception
    {
        final Random random = new Random(11);
        final byte[] data = new byte[200_003];
        random.nextBytes(data);
        final byte[] expected = MessageDigest.getInstance("SHA-256").digest(data);
        for (int round = 0; round < 50; round++)
        {
            ResumableSha256 hash = new ResumableSha256();
            int position = 0;
            while (position < data.length)
            {
                final int n = Math.min(data.length - position, random.nextInt(70_000));
                hash.update(data, position, n);
                position += n;
                // As a restarted store does: the saved text is all that is left of the state.
                hash = ResumableSha256.restore(hash.export());
                assertEquals(position, hash.length());
            }
            assertArrayEquals(expected, hash.digest());
        }
    }

    @Test
    void digestLeavesTheStateToGoOn() throws Exception
    {
        final byte[] data = "hello, world".getBytes(StandardCharsets.US_ASCII);
        final ResumableSha256 hash = new ResumableSha256();
        hash.update(data, 0, 5);
        hash.digest();
        hash.update(data, 5, data.length - 5);
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), hash.digest());
    }

    @Test
    void malformedStatesAreRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> ResumableSha256.restore(null));
        assertThrows(IllegalArgumentException.class, () -> ResumableSha256.restore("md5:1:00:"));
        final String good = new ResumableSha256().export();
        // A state cut short.
        assertThrows(IllegalArgumentException.class,
            () -> ResumableSha256.restore(good.substring(0, good.length() - 8)));
        assertThrows(IllegalArgumentException.class, () -> ResumableSha256.restore(good.replace(":0:", ":-64:")));
    }

    private static String hex(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        final ResumableSha256 hash = new ResumableSha256();
        hash.update(bytes, 0, bytes.length);
        return HexFormat.of().formatHex(hash.digest());
    }
}
