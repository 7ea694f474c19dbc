/**
 * The seam between the switch's social threads and a cluster's social feed: what one node publishes for every
 * other node (presence, directory registrations) and what it is told of theirs.
 */
package io.xin.core.social;
