package io.xin.cluster;

import org.apache.kafka.common.KafkaException;

/** Another node owns the shard now: this node's producer of it was fenced. */
public final class ShardFencedException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public ShardFencedException(final int shard, final KafkaException cause)
    {
        super("journal shard " + shard + " is owned by another node now", cause);
    }
}
