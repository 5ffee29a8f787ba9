package dev.sdj.core.model

import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.model.safetensors.SafetensorsWriter
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.file.Path

/** Families are recognised from tensor names alone (tiny shapes), in original and diffusers naming. */
class FamilyDetectionTest {
    @TempDir
    lateinit var dir: Path

    private fun file(name: String, vararg tensors: String): Path {
        val w = SafetensorsWriter()
        tensors.forEach { w.addTensor(it, DType.F16, listOf(4L), TensorData.of(ByteBuffer.allocate(8))) }
        return dir.resolve(name).also { w.write(it) }
    }

    private fun assemble(vararg paths: Path) = ModelAssembly.assemble(ModelOpener.open(paths.toList()))

    @Test
    fun `flux in Black Forest Labs names, with its VAE and both text encoders in one file`() {
        val m = assemble(file("flux.safetensors",
            "model.diffusion_model.double_blocks.0.img_attn.qkv.weight",
            "model.diffusion_model.single_blocks.0.linear1.weight",
            "vae.decoder.conv_in.weight",
            "text_encoders.clip_l.transformer.text_model.final_layer_norm.weight",
            "text_encoders.t5xxl.transformer.encoder.block.0.layer.0.SelfAttention.q.weight"))
        assertEquals(ModelFamily.FLUX, m.family)
        assertEquals(setOf(ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE, ComponentKind.TEXT_ENCODER, ComponentKind.TEXT_ENCODER_2),
            m.components.keys)
        assertTrue("double_blocks.0.img_attn.qkv.weight" in m.components.getValue(ComponentKind.DIFFUSION_MODEL).tensors)
    }

    @Test
    fun `flux as separate downloads - transformer, ae and t5`() {
        val m = assemble(
            file("flux1-dev.safetensors", "double_blocks.0.img_attn.qkv.weight", "img_in.weight", "final_layer.linear.weight"),
            file("ae.safetensors", "decoder.conv_in.weight", "encoder.conv_in.weight"),
            file("t5xxl.safetensors", "encoder.block.0.layer.0.SelfAttention.q.weight", "shared.weight"))
        assertEquals(ModelFamily.FLUX, m.family)
        assertEquals(setOf("decoder.conv_in.weight", "encoder.conv_in.weight"), m.components.getValue(ComponentKind.VAE).tensors.keys)
        assertEquals(2, m.components.getValue(ComponentKind.TEXT_ENCODER_2).tensors.size)
    }

    @Test
    fun `flux in diffusers naming`() {
        val m = assemble(file("transformer.safetensors", "transformer_blocks.0.attn.to_q.weight", "single_transformer_blocks.0.attn.to_q.weight", "x_embedder.weight"))
        assertEquals(ModelFamily.FLUX, m.family)
    }

    @Test
    fun `a flux diffusers folder - the DiT keeps diffusers names, the autoencoder gets LDM's`() {
        java.nio.file.Files.createDirectories(dir.resolve("FLUX.1/transformer"))
        java.nio.file.Files.createDirectories(dir.resolve("FLUX.1/vae"))
        file("FLUX.1/transformer/diffusion_pytorch_model.safetensors", "transformer_blocks.0.attn.to_q.weight",
            "single_transformer_blocks.0.attn.to_q.weight", "x_embedder.weight")
        file("FLUX.1/vae/diffusion_pytorch_model.safetensors", "decoder.up_blocks.0.resnets.0.conv1.weight", "decoder.up_blocks.1.upsamplers.0.conv.weight",
            "decoder.conv_norm_out.weight", "decoder.mid_block.attentions.0.to_q.weight", "encoder.down_blocks.0.resnets.0.conv1.weight")
        val m = assemble(dir.resolve("FLUX.1"))
        assertEquals(ModelFamily.FLUX, m.family)
        assertEquals(setOf("transformer_blocks.0.attn.to_q.weight", "single_transformer_blocks.0.attn.to_q.weight", "x_embedder.weight"),
            m.components.getValue(ComponentKind.DIFFUSION_MODEL).tensors.keys)
        assertEquals(setOf("decoder.up.1.block.0.conv1.weight", "decoder.up.0.upsample.conv.weight", "decoder.norm_out.weight",
            "decoder.mid.attn_1.q.weight", "encoder.down.0.block.0.conv1.weight"), m.components.getValue(ComponentKind.VAE).tensors.keys)
    }

    @Test
    fun `ltx-2 checkpoint with video VAE, audio VAE and vocoder`() {
        val m = assemble(file("ltx-2.safetensors",
            "model.diffusion_model.patchify_proj.weight",
            "model.diffusion_model.audio_patchify_proj.weight",
            "model.diffusion_model.transformer_blocks.0.attn1.to_q.weight",
            "model.diffusion_model.transformer_blocks.0.audio_to_video_attn.to_q.weight",
            "text_embedding_projection.aggregate_embed.weight",
            "vae.decoder.conv_in.conv.weight",
            "vae.encoder.conv_in.conv.weight",
            "vae.per_channel_statistics.mean-of-means",
            "audio_vae.decoder.conv_in.conv.weight",
            "vocoder.conv_pre.weight"))
        assertEquals(ModelFamily.LTX2, m.family)
        assertEquals(setOf(ComponentKind.DIFFUSION_MODEL, ComponentKind.TEXT_CONNECTORS, ComponentKind.VAE, ComponentKind.VAE_ENCODER,
            ComponentKind.AUDIO_VAE, ComponentKind.VOCODER), m.components.keys)
        // The encoder apart, so that a decode (text-to-video) neither loads nor plans it; both read the latent statistics.
        assertEquals(setOf("decoder.conv_in.conv.weight", "per_channel_statistics.mean-of-means"), m.components.getValue(ComponentKind.VAE).tensors.keys)
        assertEquals(setOf("encoder.conv_in.conv.weight", "per_channel_statistics.mean-of-means"), m.components.getValue(ComponentKind.VAE_ENCODER).tensors.keys)
        assertEquals(setOf("text_embedding_projection.aggregate_embed.weight"), m.components.getValue(ComponentKind.TEXT_CONNECTORS).tensors.keys)
    }

    /** A DiT GGUF's bare names and the connectors download (the aggregate projections only) given together. */
    @Test
    fun `ltx-2_3 in bare names places both connectors and the projections in the text connectors`() {
        val m = assemble(
            file("ltx-2.3-dit.safetensors",
                "patchify_proj.weight",
                "audio_patchify_proj.weight",
                "transformer_blocks.0.attn1.to_q.weight",
                "video_embeddings_connector.learnable_registers",
                "audio_embeddings_connector.learnable_registers",
                "audio_embeddings_connector.transformer_1d_blocks.0.attn1.to_q.weight"),
            file("ltx-2.3_embeddings_connectors.safetensors",
                "text_embedding_projection.video_aggregate_embed.weight",
                "text_embedding_projection.audio_aggregate_embed.weight"))
        assertEquals(ModelFamily.LTX2, m.family)
        assertEquals(setOf("patchify_proj.weight", "audio_patchify_proj.weight", "transformer_blocks.0.attn1.to_q.weight"),
            m.components.getValue(ComponentKind.DIFFUSION_MODEL).tensors.keys)
        assertEquals(setOf("audio_embeddings_connector.learnable_registers", "audio_embeddings_connector.transformer_1d_blocks.0.attn1.to_q.weight",
            "video_embeddings_connector.learnable_registers", "text_embedding_projection.video_aggregate_embed.weight",
            "text_embedding_projection.audio_aggregate_embed.weight"), m.components.getValue(ComponentKind.TEXT_CONNECTORS).tensors.keys)
    }

    /** Lightricks' checkpoint keeps the connectors under the DiT's prefix; they leave it for the text connectors. */
    @Test
    fun `ltx-2_3 checkpoint connectors lose the DiT prefix`() {
        val m = assemble(file("ltx-2.3-22b-dev.safetensors",
            "model.diffusion_model.audio_patchify_proj.weight",
            "model.diffusion_model.video_embeddings_connector.transformer_1d_blocks.0.attn1.to_q.weight",
            "model.diffusion_model.audio_embeddings_connector.learnable_registers",
            "text_embedding_projection.video_aggregate_embed.weight"))
        assertEquals(setOf("audio_patchify_proj.weight"), m.components.getValue(ComponentKind.DIFFUSION_MODEL).tensors.keys)
        assertEquals(setOf("video_embeddings_connector.transformer_1d_blocks.0.attn1.to_q.weight", "audio_embeddings_connector.learnable_registers",
            "text_embedding_projection.video_aggregate_embed.weight"), m.components.getValue(ComponentKind.TEXT_CONNECTORS).tensors.keys)
    }

    /** diffusers' connectors/ folder (LTX2TextConnectors) gets Lightricks' names, which the conditioner reads. */
    @Test
    fun `ltx-2 diffusers connectors folder is renamed to the original names`() {
        java.nio.file.Files.createDirectories(dir.resolve("LTX-2/connectors"))
        file("LTX-2/connectors/diffusion_pytorch_model.safetensors",
            "video_text_proj_in.weight", "audio_text_proj_in.bias", "video_connector.learnable_registers",
            "audio_connector.transformer_blocks.1.attn1.norm_q.weight", "video_connector.transformer_blocks.0.attn1.norm_k.weight")
        val m = assemble(dir.resolve("LTX-2"))
        assertEquals(ModelFamily.LTX2, m.family)
        assertEquals(setOf("text_embedding_projection.video_aggregate_embed.weight", "text_embedding_projection.audio_aggregate_embed.bias",
            "video_embeddings_connector.learnable_registers", "audio_embeddings_connector.transformer_1d_blocks.1.attn1.q_norm.weight",
            "video_embeddings_connector.transformer_1d_blocks.0.attn1.k_norm.weight"), m.components.getValue(ComponentKind.TEXT_CONNECTORS).tensors.keys)
    }

    @Test
    fun `ltx-video 0-9 is not mistaken for ltx-2 and is named unsupported`() {
        val e = assertThrows(UnsupportedModelException::class.java) {
            assemble(file("ltx-video.safetensors", "model.diffusion_model.patchify_proj.weight",
                "model.diffusion_model.transformer_blocks.0.attn1.to_q.weight", "model.diffusion_model.adaln_single.linear.weight"))
        }
        assertTrue(e.message!!.contains("unsupported model") && e.message!!.contains("patchify_proj"), e.message)
    }

    @Test
    fun `sdxl from its added-condition embedding and two text encoders`() {
        val m = assemble(file("sdxl.safetensors",
            "model.diffusion_model.label_emb.0.0.weight",
            "model.diffusion_model.input_blocks.1.1.proj_in.weight",
            "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight",
            "conditioner.embedders.1.model.ln_final.weight",
            "first_stage_model.decoder.conv_in.weight"))
        assertEquals(ModelFamily.SDXL, m.family)
        assertEquals(setOf(ComponentKind.DIFFUSION_MODEL, ComponentKind.TEXT_ENCODER, ComponentKind.TEXT_ENCODER_2, ComponentKind.VAE), m.components.keys)
    }

    @Test
    fun `unknown names are refused naming the families that were tried`() {
        val e = assertThrows(UnsupportedModelException::class.java) { assemble(file("llm.safetensors", "model.layers.0.self_attn.q_proj.weight")) }
        assertTrue(e.message!!.contains("Stable Diffusion 1.x") && e.message!!.contains("model.layers.0"), e.message)
    }
}
