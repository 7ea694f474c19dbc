/**
 * The social layer's logic, free of sockets and threads: private contact discovery (an oblivious PRF), the index
 * of people nearby by coarse cell, and shake matching.
 */
package io.xin.social;
