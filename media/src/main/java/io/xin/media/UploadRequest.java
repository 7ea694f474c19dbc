package io.xin.media;

import java.time.Instant;

/**
 * What a client declares before it uploads: the store checks each part when the upload is created.
 *
 * @param ownerId     the user uploading; recorded as an owner of the blob once the upload completes.
 * @param size        the exact number of bytes that will be uploaded, at least 1.
 * @param contentType {@code type/subtype}, such as {@code image/jpeg}; its family picks the size limit.
 * @param sha256      the SHA-256 of the bytes, 64 lowercase hex digits; it becomes the blob's id.
 * @param expiresAt   when the upload stops taking bytes and becomes eligible for cleanup; after now and no
 *                    later than {@link MediaLimits#maxUploadLifetime()} from now.
 */
public record UploadRequest(long ownerId, long size, String contentType, String sha256, Instant expiresAt)
{
}
