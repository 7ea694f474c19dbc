package io.xin.media;

import java.time.Instant;
import java.util.Set;

/**
 * A completed, stored blob.
 *
 * @param blobId      the SHA-256 of its bytes, lowercase hex.
 * @param size        its length in bytes.
 * @param contentType the content type of the first upload that stored it.
 * @param owners      the users whose uploads completed with these bytes (several when the content deduped).
 * @param createdAt   when it was first stored.
 */
public record BlobInfo(String blobId, long size, String contentType, Set<Long> owners, Instant createdAt)
{
    public BlobInfo
    {
        owners = Set.copyOf(owners);
    }
}
