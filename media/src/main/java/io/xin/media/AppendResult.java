package io.xin.media;

/**
 * The outcome of an append that was accepted.
 *
 * @param offset the upload's offset after the chunk: the next chunk starts here.
 * @param blob   the stored blob if this chunk completed the upload (its hash checked), else null.
 */
public record AppendResult(long offset, BlobInfo blob)
{
    /**
     * @return true if the upload is complete and {@link #blob()} is stored.
     */
    public boolean completed()
    {
        return blob != null;
    }
}
