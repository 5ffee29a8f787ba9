package dev.sdj.core.lora

import dev.sdj.api.InvalidRequestException
import dev.sdj.api.Lora
import java.nio.file.Files
import java.nio.file.Path

/**
 * `<lora:name:weight>` tags in a prompt (A1111's and stable-diffusion.cpp's syntax; `<lora:name>` is weight 1): the
 * LoRAs they name, found as `name.safetensors` or `name.gguf` (or `name` as given) in the LoRA folder, and the prompt
 * without them, which is what the text encoder reads.
 */
object PromptLoras {
    private val TAG = Regex("""<lora:([^:>]+)(?::([^:>]*))?>""")
    private val EXTENSIONS = listOf(".safetensors", ".gguf", "")

    class Extracted(val prompt: String, val loras: List<Lora>)

    fun extract(prompt: String, folder: Path?): Extracted {
        val loras = ArrayList<Lora>()
        for (m in TAG.findAll(prompt)) {
            val name = m.groupValues[1].trim()
            val weightText = m.groupValues[2].trim()
            val weight = if (weightText.isEmpty()) 1.0 else weightText.toDoubleOrNull()?.takeIf { it.isFinite() }
                ?: throw InvalidRequestException("'${m.value}' in the prompt: the weight '$weightText' is not a number")
            if (folder == null) throw InvalidRequestException("'${m.value}' in the prompt names a LoRA, but no LoRA folder is set (--lora-model-dir)")
            val file = EXTENSIONS.map { folder.resolve(name + it) }.firstOrNull { Files.isRegularFile(it) }
                ?: throw InvalidRequestException("'${m.value}' in the prompt: no $name.safetensors or $name.gguf in $folder")
            loras.add(Lora(file, weight))
        }
        return Extracted(TAG.replace(prompt, ""), loras)
    }
}
