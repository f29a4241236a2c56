"""``finetune``: a student dataset -> a SageMaker training job the way JumpStart runs Llama 3.x fine-tuning.

The request is what JumpStart's estimator sends for Meta Llama 3.x text
generation (``docs/wire-formats.md``, "Fine-tuning job"): the training image,
the JumpStart training script (``sagemaker_program`` /
``sagemaker_submit_directory``), the base model as the ``model`` channel,
``training`` and ``validation`` channels with the dataset, every
hyperparameter a **string** (``instruction_tuned`` or ``chat_dataset``,
``epoch``, ``learning_rate``, ``lora_r``, ``lora_alpha``, ``lora_dropout``,
``max_input_length``, ...) and ``accept_eula`` in the environment (Llama is a
gated model). The three URIs depend on the model version and region: give
them (``--training-image``, ``--model-uri``, ``--source-uri``) or install the
``sagemaker`` SDK, whose documented ``image_uris`` / ``model_uris`` /
``script_uris`` resolve them; nothing is guessed.

Every run is recorded in ``<state dir>/student/runs.jsonl`` (dataset id, job,
artifact), and ``deploy --model-data`` adds which endpoint serves the
artifact, so ``lineage()`` says which dataset made which endpoint.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.student import formats
from adeptai_sagemaker.student.capture import split_s3
from adeptai_sagemaker.student.dataset import read_manifest

#: JumpStart model ids of the Llama 3.x models the migration plan fine-tunes (DESIGN's per-module table).
LLAMA_MODELS = {
    "meta-textgeneration-llama-3-1-8b-instruct", "meta-textgeneration-llama-3-1-8b",
    "meta-textgeneration-llama-3-1-70b-instruct", "meta-textgeneration-llama-3-1-70b",
    "meta-textgeneration-llama-3-2-1b-instruct", "meta-textgeneration-llama-3-2-3b-instruct",
    "meta-textgeneration-llama-3-8b-instruct", "meta-textgeneration-llama-3-70b-instruct",
}
DEFAULT_HYPERPARAMETERS = {
    "epoch": "3", "learning_rate": "0.0001", "lora_r": "8", "lora_alpha": "32", "lora_dropout": "0.05",
    "int8_quantization": "False", "enable_fsdp": "True", "per_device_train_batch_size": "1",
    "max_input_length": "4096",
}
TERMINAL = ("Completed", "Failed", "Stopped")
_JOB_NAME_RE = re.compile(r"[^a-zA-Z0-9-]")


@dataclass(frozen=True)
class JumpStartUris:
    """Where the training image, the base model weights and the training script are."""

    training_image: str
    model_uri: str
    source_uri: str

    @classmethod
    def resolve(cls, base_model: str, region: str, instance_type: str, *, training_image: Optional[str] = None,
                model_uri: Optional[str] = None, source_uri: Optional[str] = None) -> "JumpStartUris":
        if training_image and model_uri and source_uri:
            return cls(training_image, model_uri, source_uri)
        import importlib.util

        if importlib.util.find_spec("sagemaker") is None:
            raise ConfigurationError(
                f"the JumpStart artifacts of {base_model} are not known here: pass --training-image, --model-uri and "
                "--source-uri, or `pip install sagemaker` to resolve them from JumpStart's model specs")
        from sagemaker import image_uris, model_uris, script_uris  # pragma: no cover (needs the SDK)

        kw = dict(model_id=base_model, model_version="*", region=region)  # pragma: no cover
        return cls(  # pragma: no cover
            training_image or image_uris.retrieve(framework=None, image_scope="training", instance_type=instance_type, **kw),
            model_uri or model_uris.retrieve(model_scope="training", **kw),
            source_uri or script_uris.retrieve(script_scope="training", **kw))


@dataclass
class FinetunePlan:
    """One training job: the dataset's files, where they go, and the request."""

    capability: str
    dataset_dir: Path
    dataset_id: str
    fmt: str
    base_model: str
    s3_prefix: str
    request: dict
    uploads: list[tuple[Path, str]] = field(default_factory=list)  # (local file, s3://... destination)

    def to_dict(self) -> dict:
        return {"create_training_job": self.request,
                "uploads": [{"file": str(p), "to": uri} for p, uri in self.uploads],
                "dataset_id": self.dataset_id, "capability": self.capability}


def job_name(capability: str, stamp: str) -> str:
    """``<capability>-student-<stamp>``, within SageMaker's 63 characters and alphabet."""
    base = _JOB_NAME_RE.sub("-", f"{capability.replace('_', '-')}-student")[: 63 - len(stamp) - 1]
    return f"{base}-{stamp}"


def plan(capability: str, dataset_dir: str | Path, *, base_model: str, role_arn: str, instance_type: str,
         s3_prefix: str, uris: JumpStartUris, stamp: str, hyperparameters: Optional[Mapping[str, Any]] = None,
         max_runtime_s: int = 48 * 3600, volume_gb: int = 256) -> FinetunePlan:
    """The upload list and ``CreateTrainingJob`` request for a built dataset (nothing is called)."""
    directory = Path(dataset_dir)
    manifest = read_manifest(directory)
    if manifest.get("capability") != capability:
        raise ConfigurationError(f"{directory} holds a {manifest.get('capability')} dataset, not {capability}")
    fmt = manifest.get("format")
    if fmt not in formats.JUMPSTART_FLAGS:
        raise ConfigurationError(f"JumpStart fine-tuning takes the jumpstart or chat format; {directory} is {fmt!r} "
                                 "(rebuild it with `dataset build --format jumpstart`)")
    if base_model not in LLAMA_MODELS:
        raise ConfigurationError(f"--base-model {base_model!r} is not a JumpStart Llama 3.x model id; known: "
                                 + ", ".join(sorted(LLAMA_MODELS)))
    bucket, prefix = split_s3(s3_prefix)
    name = job_name(capability, stamp)
    root = f"s3://{bucket}/{prefix + '/' if prefix else ''}{name}"
    uploads = [(directory / "train.jsonl", f"{root}/training/train.jsonl"),
               (directory / "validation.jsonl", f"{root}/validation/validation.jsonl")]
    if fmt == "jumpstart":  # the template travels with the data of each channel
        uploads += [(directory / "template.json", f"{root}/training/template.json"),
                    (directory / "template.json", f"{root}/validation/template.json")]
    flag = formats.JUMPSTART_FLAGS[fmt]
    params = {**DEFAULT_HYPERPARAMETERS, **{k: str(v) for k, v in (hyperparameters or {}).items()},
              "instruction_tuned": str(flag == "instruction_tuned"), "chat_dataset": str(flag == "chat_dataset"),
              "sagemaker_program": "transfer_learning.py", "sagemaker_submit_directory": uris.source_uri}

    def channel(name_: str, uri: str) -> dict:
        return {"ChannelName": name_, "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}}}

    channels = [channel("training", f"{root}/training/")]
    if manifest.get("splits", {}).get("validation"):
        channels.append(channel("validation", f"{root}/validation/"))
    else:
        uploads = [u for u in uploads if "/validation/" not in u[1]]
    channels.append(channel("model", uris.model_uri))
    request = {
        "TrainingJobName": name,
        "RoleArn": role_arn,
        "AlgorithmSpecification": {"TrainingImage": uris.training_image, "TrainingInputMode": "File"},
        "HyperParameters": params,
        "InputDataConfig": channels,
        "OutputDataConfig": {"S3OutputPath": f"{root}/output/"},
        "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": 1, "VolumeSizeInGB": volume_gb},
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime_s},
        "Environment": {"accept_eula": "true"},
        "Tags": [{"Key": "adeptai-sagemaker:capability", "Value": capability},
                 {"Key": "adeptai-sagemaker:dataset", "Value": manifest.get("dataset_id", "")},
                 {"Key": "adeptai-sagemaker:base-model", "Value": base_model}],
    }
    return FinetunePlan(capability, directory, manifest.get("dataset_id", ""), fmt, base_model, s3_prefix, request,
                        uploads)


def upload(plan_: FinetunePlan, s3: Any) -> None:
    for path, uri in plan_.uploads:
        bucket, key = split_s3(uri)
        s3.upload_file(str(path), bucket, key)


def follow(sm: Any, name: str, *, on_progress: Optional[Callable[[str, str], None]] = None,
           sleep: Callable[[float], None] = time.sleep, poll_s: float = 30.0) -> dict:
    """``DescribeTrainingJob`` until it ends; ``on_progress(status, secondary status)`` on every change."""
    seen = None
    while True:
        job = sm.describe_training_job(TrainingJobName=name)
        state = (job["TrainingJobStatus"], job.get("SecondaryStatus", ""))
        if state != seen and on_progress is not None:
            on_progress(*state)
        seen = state
        if state[0] in TERMINAL:
            return job
        sleep(poll_s)


def run(plan_: FinetunePlan, *, sm: Any, s3: Any, on_progress: Optional[Callable[[str, str], None]] = None,
        sleep: Callable[[float], None] = time.sleep, poll_s: float = 30.0) -> dict:
    """Upload, create the job, follow it to the end; the final ``DescribeTrainingJob`` answer."""
    upload(plan_, s3)
    sm.create_training_job(**plan_.request)
    return follow(sm, plan_.request["TrainingJobName"], on_progress=on_progress, sleep=sleep, poll_s=poll_s)


# --------------------------------------------------------------------------- the record of runs


def runs_path(settings: Any) -> Path:
    return Path(settings.state_dir()) / "student" / "runs.jsonl"


def record(settings: Any, entry: Mapping[str, Any]) -> None:
    """Append one entry (a training run, or a deploy of its artifact) to the runs file."""
    path = runs_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"time": time.time(), **entry}, sort_keys=True) + "\n")


def lineage(settings: Any) -> list[dict]:
    """One row per training run: capability, dataset id, job, artifact, and the endpoints that serve it."""
    path = runs_path(settings)
    if not path.is_file():
        return []
    runs: dict[str, dict] = {}
    deploys: list[dict] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("kind") == "training":
            runs[entry["artifact"] or entry["job"]] = {**entry, "endpoints": []}
        elif entry.get("kind") == "deploy":
            deploys.append(entry)
    for entry in deploys:
        if entry.get("artifact") in runs:
            runs[entry["artifact"]]["endpoints"].append(entry["endpoint"])
    return list(runs.values())


def run_for_artifact(settings: Any, artifact: str) -> Optional[dict]:
    return next((r for r in lineage(settings) if r.get("artifact") == artifact), None)
