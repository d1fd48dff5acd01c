#!/usr/bin/env python3
"""Writes one cmdlet's MAML <command:command> block from a compact Python description.

en-US/NlmonPS.dll-Help.xml is the help's source of truth; this only saves typing when adding a cmdlet:
    python3 tools/maml.py spec.py >> fragment.xml   (then paste the fragment into the help file)
A spec module defines CMD = dict(name, synopsis, description, sets, params, inputs, outputs, notes, examples, links).
"""
import sys, runpy
from xml.sax.saxutils import escape as e

def para(text):
    return "".join(f"<maml:para>{e(p.strip())}</maml:para>" for p in text.strip().split("\n\n"))

def param(p, in_syntax=False):
    req = "true" if p.get("required") else "false"
    pipe = p.get("pipeline", "False")
    pos = str(p.get("position", "named"))
    glob = "true" if p.get("globbing") else "false"
    aliases = ", ".join(p.get("aliases", [])) or "none"
    t = p["type"]
    value = "" if t == "SwitchParameter" else f'<command:parameterValue required="true" variableLength="false">{e(t)}</command:parameterValue>'
    return (f'<command:parameter required="{req}" variableLength="true" globbing="{glob}" pipelineInput="{e(pipe)}" position="{pos}" aliases="{e(aliases)}">'
            f'<maml:name>{e(p["name"])}</maml:name><maml:description>{para(p["description"])}</maml:description>{value}'
            f'<dev:type><maml:name>{e(t)}</maml:name><maml:uri /></dev:type><dev:defaultValue>{e(p.get("default", "None"))}</dev:defaultValue></command:parameter>')

def command(c):
    verb, noun = c["name"].split("-", 1)
    byname = {p["name"]: p for p in c["params"]}
    syntax = "".join(
        f'<command:syntaxItem><maml:name>{e(c["name"])}</maml:name>' + "".join(param(byname[n]) for n in names) + "</command:syntaxItem>"
        for names in c["sets"])
    params = "".join(param(p) for p in c["params"])
    inputs = "".join(f'<command:inputType><dev:type><maml:name>{e(t)}</maml:name></dev:type><maml:description>{para(d)}</maml:description></command:inputType>' for t, d in c["inputs"])
    outputs = "".join(f'<command:returnValue><dev:type><maml:name>{e(t)}</maml:name></dev:type><maml:description>{para(d)}</maml:description></command:returnValue>' for t, d in c["outputs"])
    examples = "".join(
        f'<command:example><maml:title>-------------------------- Example {i} --------------------------</maml:title>'
        f'<dev:code>{e(code.strip())}</dev:code><dev:remarks>{para(remarks)}</dev:remarks></command:example>'
        for i, (code, remarks) in enumerate(c["examples"], 1))
    links = "".join(f'<maml:navigationLink><maml:linkText>{e(l)}</maml:linkText><maml:uri /></maml:navigationLink>' for l in c["links"])
    return (f'<command:command xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10">'
            f'<command:details><command:name>{e(c["name"])}</command:name><command:verb>{verb}</command:verb><command:noun>{noun}</command:noun>'
            f'<maml:description>{para(c["synopsis"])}</maml:description></command:details>'
            f'<maml:description>{para(c["description"])}</maml:description>'
            f'<command:syntax>{syntax}</command:syntax><command:parameters>{params}</command:parameters>'
            f'<command:inputTypes>{inputs}</command:inputTypes><command:returnValues>{outputs}</command:returnValues>'
            f'<maml:alertSet><maml:alert>{para(c.get("notes", ""))}</maml:alert></maml:alertSet>'
            f'<command:examples>{examples}</command:examples><command:relatedLinks>{links}</command:relatedLinks></command:command>')

if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(command(runpy.run_path(path)["CMD"]))
