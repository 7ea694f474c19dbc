/**
 * Sync: inbox pages read from storage by a bounded pool of reader threads.
 */
package io.xin.core.sync;
