package io.xin.client.media;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MediaCryptoTest
{
    private static final Random RANDOM = new Random(23);

    @TempDir
    Path dir;

    @Test
    void shouldRoundTripAndAddOnlyTheTag()
    {
        final byte[] key = MediaCrypto.newKeyMaterial();
        final byte[] photo = bytes(100_000);

        final byte[] blob = MediaCrypto.encrypt(key, photo);

        assertEquals(photo.length + MediaCrypto.TAG_BYTES, blob.length);
        assertEquals(MediaCrypto.ciphertextSize(photo.length), blob.length);
        assertFalse(Arrays.equals(photo, Arrays.copyOf(blob, photo.length)), "the blob holds the plaintext");
        assertArrayEquals(photo, MediaCrypto.decrypt(key, blob));
    }

    @Test
    void shouldLayOutTheKeyMaterialAsKeyThenNonce() throws Exception
    {
        final byte[] material = MediaCrypto.newKeyMaterial();
        assertEquals(44, material.length);
        final byte[] plaintext = bytes(1_000);

        // What another client does with the documented layout: key = bytes 0..31, nonce = bytes 32..43, 128-bit tag.
        final Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(Arrays.copyOfRange(material, 0, 32), "AES"),
            new GCMParameterSpec(128, Arrays.copyOfRange(material, 32, 44)));

        assertArrayEquals(cipher.doFinal(plaintext), MediaCrypto.encrypt(material, plaintext));
    }

    @Test
    void shouldUseAFreshKeyAndNonceEveryTime()
    {
        final byte[] first = MediaCrypto.newKeyMaterial();
        final byte[] second = MediaCrypto.newKeyMaterial();

        assertFalse(Arrays.equals(Arrays.copyOf(first, 32), Arrays.copyOf(second, 32)));
        assertFalse(Arrays.equals(Arrays.copyOfRange(first, 32, 44), Arrays.copyOfRange(second, 32, 44)));
        final byte[] photo = bytes(64);
        assertNotEquals(MediaSource.of(MediaCrypto.encrypt(first, photo)).blobKey(),
            MediaSource.of(MediaCrypto.encrypt(second, photo)).blobKey(), "two sends of one photo share a blob");
    }

    @Test
    void shouldRefuseAFlippedBitOfTheBlobOrTheKey()
    {
        final byte[] key = MediaCrypto.newKeyMaterial();
        final byte[] blob = MediaCrypto.encrypt(key, bytes(4_096));

        for (final int index : new int[]{ 0, 2_000, blob.length - 1 })
        {
            final byte[] altered = blob.clone();
            altered[index] ^= 1;
            assertThrows(MediaIntegrityException.class, () -> MediaCrypto.decrypt(key, altered), "byte " + index);
        }
        final byte[] otherKey = key.clone();
        otherKey[5] ^= 1;
        assertThrows(MediaIntegrityException.class, () -> MediaCrypto.decrypt(otherKey, blob));
        final byte[] otherNonce = key.clone();
        otherNonce[40] ^= 1;
        assertThrows(MediaIntegrityException.class, () -> MediaCrypto.decrypt(otherNonce, blob));
        assertThrows(MediaIntegrityException.class,
            () -> MediaCrypto.decrypt(key, Arrays.copyOf(blob, blob.length - 1)), "truncated");
        assertThrows(MediaIntegrityException.class, () -> MediaCrypto.decrypt(key, new byte[3]), "shorter than a tag");
    }

    @Test
    void shouldRefuseKeyMaterialOfTheWrongLength()
    {
        assertThrows(IllegalArgumentException.class, () -> MediaCrypto.encrypt(new byte[32], bytes(10)));
        assertThrows(IllegalArgumentException.class, () -> MediaCrypto.decrypt(new byte[45], bytes(40)));
    }

    @Test
    void shouldEncryptAnEmptyFileToItsTagAlone()
    {
        final byte[] key = MediaCrypto.newKeyMaterial();

        final byte[] blob = MediaCrypto.encrypt(key, new byte[0]);

        assertEquals(MediaCrypto.TAG_BYTES, blob.length);
        assertEquals(0, MediaCrypto.decrypt(key, blob).length);
    }

    @Test
    void shouldStreamAFileToTheSameBlobAsInMemory() throws Exception
    {
        final byte[] key = MediaCrypto.newKeyMaterial();
        // Not a multiple of the stream buffer nor of the AES block.
        final byte[] video = bytes(3 * 64 * 1024 + 777);
        final Path plain = Files.write(dir.resolve("video.mp4"), video);
        final Path blob = dir.resolve("video.enc");
        final Path back = dir.resolve("video.out");

        MediaCrypto.encrypt(key, plain, blob);
        MediaCrypto.decrypt(key, blob, back);

        assertArrayEquals(MediaCrypto.encrypt(key, video), Files.readAllBytes(blob));
        assertArrayEquals(video, Files.readAllBytes(back));
    }

    @Test
    void shouldWriteNothingWhenAFileDoesNotVerify() throws Exception
    {
        final byte[] key = MediaCrypto.newKeyMaterial();
        final byte[] blob = MediaCrypto.encrypt(key, bytes(10_000));
        blob[123] ^= 0x40;
        final Path in = Files.write(dir.resolve("altered.enc"), blob);
        final Path out = dir.resolve("altered.out");

        assertThrows(MediaIntegrityException.class, () -> MediaCrypto.decrypt(key, in, out));

        assertFalse(Files.exists(out));
    }

    private static byte[] bytes(final int length)
    {
        final byte[] bytes = new byte[length];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
