package io.ringtrain.worker;

/**
 * Which training state a rank holds: the steps done and a CRC32C of every byte of the state (parameters,
 * optimizer slots, step count, data position). Ranks of one ring hold bit-identical state after every step, so
 * equal digests are what the coordinator checks before a re-formed ring steps on.
 */
public record StateDigest(long stepsDone, int crc32c) {

    @Override
    public String toString() {
        return "step " + stepsDone + " (crc32c " + Integer.toHexString(crc32c) + ")";
    }
}
