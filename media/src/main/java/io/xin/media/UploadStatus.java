package io.xin.media;

import java.time.Instant;

/**
 * An upload in progress, as the store has it now.
 *
 * @param uploadId    its id.
 * @param ownerId     the user uploading.
 * @param size        the declared size.
 * @param offset      bytes received and kept so far: the offset the next chunk must start at.
 * @param contentType its content type, lowercase.
 * @param sha256      the declared SHA-256, lowercase hex.
 * @param expiresAt   when it expires.
 */
public record UploadStatus(
    String uploadId,
    long ownerId,
    long size,
    long offset,
    String contentType,
    String sha256,
    Instant expiresAt)
{
}
