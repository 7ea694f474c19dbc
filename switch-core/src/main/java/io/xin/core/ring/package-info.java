/**
 * The ring plumbing: per journal shard a Disruptor ring from the event loops to that shard's journal and then its
 * dispatcher, on one thread or two; the wait strategy that parks its threads until signalled, what an escaping
 * exception does, and the start, drain and close of every shard. Below the sessions that publish to it, above the
 * journal and the dispatcher it runs.
 */
package io.xin.core.ring;
