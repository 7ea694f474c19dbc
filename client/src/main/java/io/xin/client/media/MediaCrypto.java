package io.xin.client.media;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * End-to-end encryption of an attachment: AES-256-GCM under a fresh random key and nonce per file.
 * <p>
 * The sender encrypts before uploading, so the blob, its {@code blob_key} (the SHA-256 of the uploaded bytes) and
 * everything the media server and object storage see are ciphertext; the key travels only inside the message, in
 * {@code MediaRef.encryption_key}, which the switch stores but never reads. Layouts:
 * <pre>
 *   MediaRef.encryption_key = key (32 bytes) || nonce (12 bytes)          44 bytes
 *   blob                    = AES-256-GCM(key, nonce, plaintext) || tag    plaintext length + 16 bytes
 * </pre>
 * No associated data; the 128-bit tag is appended to the ciphertext (the JCE's "AES/GCM/NoPadding" output). A key
 * is used for exactly one file, so the random nonce never repeats under it. Decryption fails, and releases no
 * plaintext, when a single bit of the blob or the key material differs ({@link MediaIntegrityException}).
 * <p>
 * Memory: {@link #encrypt(Path, Path)} streams; decryption holds the whole ciphertext in memory, because GCM
 * releases plaintext only once the tag checked out (the JCE buffers it), so decrypt large files on a device that
 * has the room.
 * <p>
 * Thread safe: every call makes its own {@link Cipher}.
 */
public final class MediaCrypto
{
    /** AES-256 key bytes. */
    public static final int KEY_BYTES = 32;
    /** GCM nonce bytes: the 96-bit nonce GCM is designed for. */
    public static final int NONCE_BYTES = 12;
    /** Bytes of {@code MediaRef.encryption_key}: key then nonce. */
    public static final int KEY_MATERIAL_BYTES = KEY_BYTES + NONCE_BYTES;
    /** GCM tag bytes appended to the ciphertext. */
    public static final int TAG_BYTES = 16;

    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int STREAM_BUFFER_BYTES = 64 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private MediaCrypto()
    {
    }

    /**
     * @return fresh key material for one file: a random key and a random nonce, {@link #KEY_MATERIAL_BYTES} long.
     */
    public static byte[] newKeyMaterial()
    {
        final byte[] material = new byte[KEY_MATERIAL_BYTES];
        RANDOM.nextBytes(material);
        return material;
    }

    /**
     * @param plaintextBytes a file's size.
     * @return the size of its blob once encrypted.
     */
    public static long ciphertextSize(final long plaintextBytes)
    {
        return plaintextBytes + TAG_BYTES;
    }

    /**
     * Encrypts a file held in memory.
     *
     * @param keyMaterial from {@link #newKeyMaterial()}; used for this file only.
     * @param plaintext   the file.
     * @return the blob to upload: ciphertext and tag.
     */
    public static byte[] encrypt(final byte[] keyMaterial, final byte[] plaintext)
    {
        try
        {
            return cipher(Cipher.ENCRYPT_MODE, keyMaterial).doFinal(plaintext);
        }
        catch (final GeneralSecurityException ex)
        {
            // Encryption with a well-formed key cannot fail on a JCE that has AES-GCM, which every JDK does.
            throw new IllegalStateException("AES-GCM encryption failed", ex);
        }
    }

    /**
     * Decrypts a blob held in memory.
     *
     * @param keyMaterial {@code MediaRef.encryption_key}.
     * @param blob        the downloaded bytes.
     * @return the file.
     * @throws MediaIntegrityException if the blob or the key was altered (the tag does not verify).
     */
    public static byte[] decrypt(final byte[] keyMaterial, final byte[] blob)
    {
        if (blob.length < TAG_BYTES)
        {
            throw new MediaIntegrityException("encrypted blob shorter than its tag: " + blob.length + " bytes");
        }
        try
        {
            return cipher(Cipher.DECRYPT_MODE, keyMaterial).doFinal(blob);
        }
        catch (final AEADBadTagException ex)
        {
            throw new MediaIntegrityException("encrypted blob does not verify: altered, or the wrong key", ex);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("AES-GCM decryption failed", ex);
        }
    }

    /**
     * Encrypts a file into another, streaming.
     *
     * @param keyMaterial from {@link #newKeyMaterial()}; used for this file only.
     * @param plaintext   the file to read.
     * @param blob        the file to write (replaced): ciphertext and tag.
     * @throws IOException if reading or writing failed.
     */
    public static void encrypt(final byte[] keyMaterial, final Path plaintext, final Path blob) throws IOException
    {
        final Cipher cipher = cipher(Cipher.ENCRYPT_MODE, keyMaterial);
        try (InputStream in = Files.newInputStream(plaintext); OutputStream out = Files.newOutputStream(blob))
        {
            final byte[] buffer = new byte[STREAM_BUFFER_BYTES];
            int read;
            while ((read = in.read(buffer)) >= 0)
            {
                final byte[] part = cipher.update(buffer, 0, read);
                if (part != null)
                {
                    out.write(part);
                }
            }
            out.write(cipher.doFinal());
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("AES-GCM encryption failed", ex);
        }
    }

    /**
     * Decrypts a blob file into another. Nothing is written unless the whole blob verifies.
     *
     * @param keyMaterial {@code MediaRef.encryption_key}.
     * @param blob        the downloaded file.
     * @param plaintext   the file to write (replaced).
     * @throws IOException             if reading or writing failed.
     * @throws MediaIntegrityException if the blob or the key was altered.
     */
    public static void decrypt(final byte[] keyMaterial, final Path blob, final Path plaintext) throws IOException
    {
        Files.write(plaintext, decrypt(keyMaterial, Files.readAllBytes(blob)));
    }

    private static Cipher cipher(final int mode, final byte[] keyMaterial)
    {
        if (keyMaterial == null || keyMaterial.length != KEY_MATERIAL_BYTES)
        {
            throw new IllegalArgumentException("encryption key material must be " + KEY_MATERIAL_BYTES +
                " bytes (key 32 || nonce 12), was " + (keyMaterial == null ? "null" : keyMaterial.length));
        }
        final byte[] key = Arrays.copyOfRange(keyMaterial, 0, KEY_BYTES);
        try
        {
            final Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(mode, new SecretKeySpec(key, "AES"),
                new GCMParameterSpec(TAG_BYTES * 8, keyMaterial, KEY_BYTES, NONCE_BYTES));
            return cipher;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("AES-256-GCM is not available", ex);
        }
        finally
        {
            Arrays.fill(key, (byte)0);
        }
    }
}
