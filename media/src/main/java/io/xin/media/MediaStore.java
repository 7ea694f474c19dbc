package io.xin.media;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where photos, videos and voice notes live: resumable uploads that end as content-addressed blobs.
 * <p>
 * Uploads follow the tus protocol's model: {@link #createUpload} declares the size, content type and SHA-256 and
 * returns an id; {@link #offset} says how many bytes are kept (a client asks after a dropped connection);
 * {@link #append} takes the next chunk at exactly that offset and never past the declared size. The chunk that
 * reaches the declared size completes the upload: the bytes are hashed, a mismatch discards the upload, a match
 * stores them as the blob whose id is their SHA-256 and records the uploader as an owner. Two uploads of the same
 * bytes end as one blob with both owners.
 * <p>
 * Every id and hash from outside is checked by {@link MediaIds} before it is used; a malformed one is refused with
 * {@link MediaException.Reason#INVALID_ARGUMENT}. Refusals are {@link MediaException}s whose
 * {@linkplain MediaException#reason() reason} says which rule refused.
 * <p>
 * End-to-end encrypted attachments reach the store as ciphertext under a key per file, so two copies of the same
 * photo are different blobs: content addressing dedupes plaintext only.
 * <p>
 * Implementations are safe for use by several threads at once.
 */
public interface MediaStore extends AutoCloseable
{
    /**
     * Starts an upload.
     *
     * @param request what the client declares.
     * @return the new upload's id: random, URL-safe, unguessable.
     * @throws MediaException {@link MediaException.Reason#INVALID_ARGUMENT} for a malformed field or an expiry not
     *                        in the future or past the limit's lifetime; {@link MediaException.Reason#TOO_LARGE}
     *                        for a size over the content type's limit; {@link MediaException.Reason#TOO_MANY_UPLOADS}
     *                        if the owner is at the limit of uploads in progress.
     */
    String createUpload(UploadRequest request);

    /**
     * @param uploadId an upload's id.
     * @return the bytes kept so far: where the next chunk must start.
     * @throws MediaException {@link MediaException.Reason#NOT_FOUND} if there is no such upload in progress.
     */
    long offset(String uploadId);

    /**
     * @param uploadId an upload's id.
     * @return the upload in progress, or empty if there is none by that id.
     */
    Optional<UploadStatus> upload(String uploadId);

    /**
     * Appends a chunk held in memory. The chunk is refused whole, nothing written, if it does not start at the
     * current offset or goes past the declared size.
     *
     * @param uploadId an upload's id.
     * @param offset   where the chunk starts: must equal {@link #offset(String)}.
     * @param chunk    the bytes from its position to its limit; consumed.
     * @return the new offset, and the blob if the chunk completed the upload.
     * @throws MediaException {@link MediaException.Reason#WRONG_OFFSET}, {@link MediaException.Reason#TOO_LARGE},
     *                        {@link MediaException.Reason#EXPIRED}, {@link MediaException.Reason#NOT_FOUND};
     *                        {@link MediaException.Reason#HASH_MISMATCH} if it completed the upload with bytes
     *                        that do not match the declared hash (the upload is then gone).
     */
    AppendResult append(String uploadId, long offset, ByteBuffer chunk);

    /**
     * Appends a chunk read from a stream until its end, as a PATCH body arrives. Bytes are kept as they are read:
     * if the stream fails (the connection dropped) the bytes before the failure stay and the offset covers them,
     * so the client resumes from there. A stream that goes past the declared size is refused and what it wrote is
     * taken back.
     *
     * @param uploadId an upload's id.
     * @param offset   where the chunk starts: must equal {@link #offset(String)}.
     * @param chunk    the bytes; read to its end, not closed.
     * @return the new offset, and the blob if the chunk completed the upload.
     * @throws IOException    if reading the stream failed; the bytes read before are kept.
     * @throws MediaException as for {@link #append(String, long, ByteBuffer)}.
     */
    AppendResult append(String uploadId, long offset, InputStream chunk) throws IOException;

    /**
     * Drops an upload in progress and its bytes.
     *
     * @param uploadId an upload's id.
     * @return true if there was one.
     */
    boolean deleteUpload(String uploadId);

    /**
     * @param before a time.
     * @return the ids of uploads in progress whose expiry is at or before that time, for cleanup with
     *         {@link #deleteUpload(String)}.
     */
    List<String> expiredUploads(Instant before);

    /**
     * @param blobId a blob's id (its SHA-256, lowercase hex).
     * @return the stored blob, or empty if there is none.
     */
    Optional<BlobInfo> stat(String blobId);

    /**
     * Reads part of a blob.
     *
     * @param blobId a blob's id.
     * @param range  the bytes to read; must end within the blob.
     * @return a stream of exactly those bytes; the caller closes it.
     * @throws MediaException {@link MediaException.Reason#NOT_FOUND}, or {@link MediaException.Reason#INVALID_RANGE}
     *                        if the range goes past the blob's end.
     */
    InputStream read(String blobId, ByteRange range);

    /**
     * Removes a blob and its record, whoever owns it.
     *
     * @param blobId a blob's id.
     * @return true if there was one.
     */
    boolean deleteBlob(String blobId);

    /**
     * Removes a blob and its record, whoever owns it, only if it is still unreferenced: its last reference, or
     * its creation when never referenced, is before the given time. The check and the removal are one step, so a
     * reference recorded after {@link #unreferencedSince} listed the blob keeps it. A deletion that was started
     * and interrupted is finished whatever the time.
     *
     * @param blobId a blob's id.
     * @param before a time.
     * @return true if this call removed a blob.
     */
    boolean deleteIfUnreferencedSince(String blobId, Instant before);

    /**
     * @param ownerId a user.
     * @return the bytes this user holds: the blobs they own and the declared sizes of their uploads in progress.
     */
    long usage(long ownerId);

    /**
     * Records that a stored message references a blob, at the given time; a later reference moves it on.
     *
     * @param blobId a blob's id.
     * @param at     when the message was stored.
     * @return false if there is no such blob.
     */
    boolean touch(String blobId, Instant at);

    /**
     * @param before a time.
     * @param limit  the most ids to return.
     * @return blobs whose last reference, or creation when never referenced, is before that time.
     */
    List<String> unreferencedSince(Instant before, int limit);

    /**
     * A URL the blob can be read from directly, when the store serves reads itself (object storage).
     *
     * @param blobId    a blob's id.
     * @param expiresAt when the URL stops working.
     * @return the URL, or empty when reads go through the switch's media server.
     */
    default Optional<java.net.URI> presignedRead(final String blobId, final Instant expiresAt)
    {
        return Optional.empty();
    }

    /**
     * @return whether {@link #createDirectUpload} can sign direct uploads: an object store can, a disk cannot.
     */
    default boolean signsDirectUploads()
    {
        return false;
    }

    /**
     * Starts an upload whose bytes go straight to the object store, when the store can sign such a request: it
     * counts as an upload in progress (the per-user limit, {@link #usage}, {@link #expiredUploads},
     * {@link #deleteUpload}) but takes no {@link #append}; {@link #completeDirectUpload} ends it.
     *
     * @param request what the client declares.
     * @return the upload and how to send its bytes, or empty when the store takes bytes only through
     *         {@link #append}.
     * @throws MediaException as for {@link #createUpload}.
     */
    default Optional<DirectUpload> createDirectUpload(final UploadRequest request)
    {
        return Optional.empty();
    }

    /**
     * Signs again how to send the bytes of a direct upload in progress, for a client that asks for it again.
     *
     * @param uploadId an upload's id.
     * @return the upload and how to send its bytes, or empty if it is not a direct upload in progress.
     */
    default Optional<DirectUpload> directUpload(final String uploadId)
    {
        return Optional.empty();
    }

    /**
     * Completes the owner's direct upload of these bytes if the client sent them: they are checked against the
     * declared size and SHA-256 and become the blob, as the last chunk of an {@link #append} makes it. Bytes that
     * do not match are deleted with the upload. Blocks for the object store's round trips, and for reading the
     * bytes when the store did not check their SHA-256 itself.
     *
     * @param ownerId the uploader.
     * @param blobId  the blob the bytes should become: the declared SHA-256.
     * @return the blob, or empty if there is no such direct upload, its bytes were not sent, or they did not match
     *         (the upload is then gone).
     */
    default Optional<BlobInfo> completeDirectUpload(final long ownerId, final String blobId)
    {
        return Optional.empty();
    }

    /**
     * Closes the store; operations afterwards fail.
     */
    @Override
    void close();
}
