/* The core's ELF image, embedded in plinth.efi's data. */
	.section .data
	.balign 4096
	.globl core_blob_start, core_blob_end
core_blob_start:
	.incbin CORE_ELF
core_blob_end:
	.section .note.GNU-stack, "", @progbits
