"""The agent's settings: a TOML file (``--config``, ``$POHUB_AGENT_CONFIG`` or ./pohub-agent.toml),
overridden by ``POHUB_AGENT_*`` environment variables, overridden by command-line options.
The API key is a secret: it is never printed, only said to be set or not."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from pohub.client import ClientOptions, Limits, RateLimit, RetryPolicy

DEFAULT_FILE = Path("pohub-agent.toml")
ENV_PREFIX = "POHUB_AGENT_"


class ConfigError(ValueError):
    """Settings that cannot be used; the message says which and why (never the key)."""


class _TomlSource(PydanticBaseSettingsSource):
    """The TOML file, at the top level or under an [agent] table."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self.data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if k in self.settings_cls.model_fields}


class AgentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    base_url: str = "http://127.0.0.1:8000"
    api_key: SecretStr | None = None
    auth: Literal["query", "bearer"] = "query"
    state: Path = Path("pohub-agent.db")
    # Searches (the platform's published v3 limit by default); bulk status; every other call.
    rate: str = "0.5/25"
    bulk_rate: str = "1/25"
    write_rate: str = "off"
    retries: int = Field(6, ge=1)
    backoff: float = Field(0.5, ge=0)
    timeout: float = Field(60.0, gt=0)
    concurrency: int = Field(4, ge=1, le=64)
    page_size: int = Field(1000, ge=1, le=1000)
    first_page: int = Field(1, ge=0, le=1)
    policy: str = "accept-all"
    inventory: Path | None = None
    # The inventory policy's figures from the hub's feed instead of a file: "hub" (the caller's own
    # stock) or the partner id to download it under.
    inventory_feed: str | None = None
    policy_options: dict[str, Any] = Field(default_factory=dict)
    invoice_number: str = "{ShipmentNumber}"
    invoice_lookback_days: int = Field(30, ge=0)
    invoice_hub_shipments: bool = True
    ship_dir: Path | None = None
    every: str = "5m"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings

    @field_validator("invoice_number")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            value.format(ShipmentNumber="S", PartnerPO="P", LogicbrokerKey="1")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"may use {{ShipmentNumber}}, {{PartnerPO}} and {{LogicbrokerKey}} only ({exc!r})"
            ) from None
        return value

    @field_validator("rate", "bulk_rate", "write_rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        RateLimit.parse(str(value))
        return str(value)

    def key(self) -> str:
        if self.api_key is None or not self.api_key.get_secret_value():
            raise ConfigError(f"no API key: set {ENV_PREFIX}API_KEY or api_key in the config file")
        return self.api_key.get_secret_value()

    def limits(self) -> Limits:
        search = RateLimit.parse(self.rate)
        if search is None:
            # "--rate off" means no throttling at all (a local hub, a benchmark).
            return Limits.off()
        return Limits(search, RateLimit.parse(self.bulk_rate) or None, RateLimit.parse(self.write_rate))

    def client_options(self) -> ClientOptions:
        return ClientOptions(
            base_url=self.base_url,
            api_key=self.key(),
            auth=self.auth,
            timeout=self.timeout,
            limits=self.limits(),
            retry=RetryPolicy(attempts=self.retries, base=self.backoff),
            page_size=self.page_size,
            first_page=self.first_page,
        )

    def every_seconds(self) -> float:
        return parse_duration(self.every)

    def shown(self) -> dict[str, Any]:
        """The settings for people: the key only as set / not set."""
        data = self.model_dump(mode="json", exclude={"api_key"})
        data["api_key"] = "set" if self.api_key is not None and self.api_key.get_secret_value() else "not set"
        return data


def parse_duration(text: str) -> float:
    """``300``, ``30s``, ``5m``, ``1h``, ``1h30m`` -> seconds."""
    spec = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", spec):
        return float(spec)
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([hms])", spec)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != spec.replace(" ", ""):
        raise ConfigError(f"a duration is like 300, 30s, 5m or 1h30m, got {text!r}")
    factor = {"h": 3600, "m": 60, "s": 1}
    return sum(float(n) * factor[u] for n, u in parts)


def load(config: Path | None = None, **overrides: Any) -> AgentSettings:
    """File, then environment, then the options given (None means not given)."""
    path = config or (Path(os.environ[f"{ENV_PREFIX}CONFIG"]) if os.environ.get(f"{ENV_PREFIX}CONFIG") else None)
    data: dict[str, Any] = {}
    if path is None and DEFAULT_FILE.exists():
        path = DEFAULT_FILE
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read the config file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
        table = raw.get("agent", raw)
        data = dict(table) if isinstance(table, dict) else {}
        base = path.parent
        # Relative paths in the file are relative to the file, not to wherever cron started us.
        for name in ("state", "inventory", "ship_dir"):
            if isinstance(data.get(name), str) and not Path(data[name]).is_absolute():
                data[name] = str(base / data[name])

    class FromFile(AgentSettings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return init_settings, env_settings, _TomlSource(settings_cls, data)

    try:
        return FromFile(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid agent settings: {problems}") from None
