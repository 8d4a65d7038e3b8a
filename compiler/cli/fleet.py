"""`regate publish` and `regate opa-config`: getting a bundle to a fleet of OPA servers."""

from __future__ import annotations

from pathlib import Path

import click

from ..signing import ALGORITHMS, DEFAULT_ALGORITHM, DEFAULT_KEY_ID


@click.command("publish")
@click.argument("bundle", type=click.Path(exists=True, path_type=Path))
@click.argument("target", metavar="oci://HOST[:PORT]/REPO:TAG | http(s)://URL | DIR")
@click.option("--plain-http", is_flag=True, help="Talk plain HTTP to the OCI registry (a loopback or lab registry).")
@click.option("--insecure", is_flag=True, help="Do not verify the TLS certificate of the registry or server.")
@click.option("--ca-cert", type=click.Path(exists=True, dir_okay=False), help="CA bundle to verify the target's certificate.")
@click.option("--token", envvar="REGATE_PUBLISH_TOKEN", show_envvar=True, metavar="TOKEN",
              help="Bearer token for an http(s):// PUT (prefer the environment variable). "
                   "Registries use the Docker credentials (`docker login`).")
def publish_command(bundle, target, plain_http, insecure, ca_cert, token):
    """Publish a bundle from `regate compile` where OPA servers download it.

    oci://... pushes an OCI artifact (OPA's `type: oci` services pull it), http(s)://...
    PUTs the .tar.gz to a bundle service, DIR copies it into a directory a web server serves.
    """
    from ..errors import UserError
    from ..publish import Transport, publish

    if plain_http and not target.startswith("oci://"):
        raise UserError("--plain-http is for oci:// targets")
    done = publish(bundle, target, Transport(plain_http, insecure, ca_cert, token))
    digest = f", manifest {done.digest}" if done.digest else ""
    signed = "signed" if done.signed else "UNSIGNED"
    click.echo(f"published revision {done.revision[:12]} ({signed}) to {done.where}{digest}", err=True)


@click.command("opa-config")
@click.option("--service", required=True, metavar="oci://HOST[:PORT]/REPO:TAG | http(s)://HOST/PATH",
              help="Where the bundle is published (what `regate publish` was given).")
@click.option("--plain-http", is_flag=True, help="The OCI registry speaks plain HTTP (as `regate publish --plain-http`).")
@click.option("--verification-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="PEM public key the servers verify the bundle's signature with (an HS* secret is read from "
                   "$REGATE_BUNDLE_SECRET by OPA instead).")
@click.option("--key-id", default=DEFAULT_KEY_ID, show_default=True, help="Name of the key (`regate compile --key-id`).")
@click.option("--signing-alg", type=click.Choice(ALGORITHMS), default=DEFAULT_ALGORITHM, show_default=True)
@click.option("--scope", help="Scope the signature must carry (`regate compile --scope`).")
@click.option("--polling", default="10-30s", show_default=True, metavar="MIN-MAXs",
              help="Seconds between two polls of the service, a random delay in MIN-MAX.")
@click.option("--decision-logs", metavar="console|URL", help="Send decision logs to the console or a log service.")
@click.option("--status", metavar="console|URL", help="Report bundle status to the console or a status service.")
@click.option("--token-env", metavar="VAR", help="Authenticate to the service with the bearer token OPA reads from $VAR.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def opa_config_command(service, plain_http, verification_key, key_id, signing_alg, scope, polling, decision_logs,
                       status, token_env, output):
    """Print the OPA configuration that makes servers pull, verify and activate the bundle."""
    from ..atomic import write_atomically
    from ..errors import UserError
    from ..opaconfig import KeyConfig, Polling, opa_config, render

    if verification_key is None and scope:
        raise UserError("--scope is checked with the signature: give --verification-key too")
    key = KeyConfig(verification_key, key_id, signing_alg, scope) if verification_key else None
    if key is None:
        click.echo("regate: warning: no --verification-key: the servers will activate any bundle published there, "
                   "signed or not", err=True)
    text = render(opa_config(service, key, Polling.parse(polling), plain_http, decision_logs, status, token_env))
    if output is None:
        click.echo(text, nl=False)
        return
    write_atomically(output, text)
    click.echo(f"wrote {output}", err=True)
