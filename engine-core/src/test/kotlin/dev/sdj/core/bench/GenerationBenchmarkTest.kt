package dev.sdj.core.bench

import dev.sdj.core.family.sd.SdArchitecture
import dev.sdj.core.family.sd.SdTensorLayout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/**
 * The benchmark's full-size architectures hold as many parameters as the published models (counted from the layout,
 * without writing the gigabytes): what makes its seconds per step and memory those of the real thing.
 */
class GenerationBenchmarkTest {
    private fun parameters(entries: List<SdTensorLayout.Entry>): Long = entries.sumOf { e -> e.torchShape.fold(1L) { a, b -> a * b } }

    private fun components(arch: SdArchitecture): Map<String, Long> {
        val layout = SdTensorLayout(arch)
        return linkedMapOf("unet" to parameters(layout.unet()), "clip" to parameters(layout.clip()), "vae" to parameters(layout.vae()))
            .apply { if (arch.clip2 != null) put("clip2", parameters(layout.clip2())) }
    }

    @Test
    fun `SDXL base has its UNet and bigG parameters and about 7 GB of f16 in all`() {
        val sizes = components(GenerationBenchmark.SDXL_BASE)
        // diffusers' UNet2DConditionModel of stabilityai/stable-diffusion-xl-base-1.0
        assertEquals(2_567_463_684L, sizes["unet"])
        // transformers' CLIPTextModelWithProjection of the same repository (text_encoder_2)
        assertEquals(694_659_840L, sizes["clip2"])
        assertEquals(6.9, 2.0 * sizes.values.sum() / 1e9, 0.1)
    }

    @Test
    fun `SD 1-5 has its UNet parameters`() {
        assertEquals(859_520_964L, components(GenerationBenchmark.SD15)["unet"])
    }

    @Test
    fun `architectures are found by the ids their default files are named after`() {
        assertEquals(GenerationBenchmark.Architecture.SDXL, GenerationBenchmark.Architecture.of("sdxl"))
        assertEquals("sdj-sd15-random-f16.gguf", GenerationBenchmark.Architecture.SD15.defaultFileName)
        assertEquals(null, GenerationBenchmark.Architecture.of("sd3"))
        // Flux is a folder of component files, run as people run it: guidance-distilled, no classifier-free guidance.
        assertEquals(GenerationBenchmark.Architecture.FLUX_SCHNELL, GenerationBenchmark.Architecture.of("flux-schnell"))
        assertEquals("sdj-flux-dev-random", GenerationBenchmark.Architecture.FLUX_DEV.defaultFileName)
        assertEquals(1.0, GenerationBenchmark.Architecture.FLUX_DEV.cfgScale)
    }
}
