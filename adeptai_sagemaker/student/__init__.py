"""Build a fine-tuned student model per module from the legacy side's answers.

``capture`` stores the teacher's answers (the OpenAI/Claude answer the monolith
already gets on the legacy side) as redacted JSONL shards; ``dataset`` turns
them into a deduplicated, deterministically split dataset with a card;
``formats`` writes it in the shapes SageMaker JumpStart, Hugging Face SFT and
Amazon Bedrock take; ``finetune`` runs the training job. MIGRATION.md's
"Build the student" walks through the loop.
"""
