/**
 * The social layer's logic, free of sockets and threads: private contact discovery (an oblivious PRF), the index
 * of people nearby by coarse cell, shake matching and the pacing of presence updates.
 */
package io.xin.social;
