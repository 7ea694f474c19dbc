/**
 * Cluster mode: the journal shards' message logs as the partitions of a Kafka topic, one owner switch per
 * partition, and the hand-offs between partitions as records of a second topic written in the owner's transaction.
 */
package io.xin.cluster;
