package dev.sdj.core.image

import java.nio.file.Path

/**
 * A1111's "Model hash" for a checkpoint file: the first 10 hex digits of the SHA-256 of the whole file
 * (`CheckpointInfo.shorthash = sha256[0:10]`, `hashes.calculate_sha256`), the same as Civitai's "AutoV2" hash.
 */
fun modelHash(file: Path): String = sha256Hex(file).substring(0, 10)
