package io.ringtrain.checkpoint;

/** The two store implementations every store-facing behaviour is tested against. */
enum Backend {
    DIRECTORY,
    S3
}
