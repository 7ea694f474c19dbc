/**
 * The ring's events and the journal thread: deduplication, sequence assignment and group commit
 * to storage.
 */
package io.xin.core.journal;
