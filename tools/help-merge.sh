#!/bin/sh
# Carries the MAML edits a branch made (en-US/NlmonPS.dll-Help.xml, from before the help moved to markdown) into
# docs/help: both MAML files are converted to markdown and every cmdlet file that changed between them is merged
# three ways into docs/help (git merge-file), so edits already in docs/help are kept. See tools/README.md.
#
#   tools/help-merge.sh BASE THEIRS     commits (their MAML is read with git show) or MAML files
#   e.g. while merging branch B:  tools/help-merge.sh "$(git merge-base HEAD B)" B , then build and cp out/NlmonPS/en-US/NlmonPS.dll-Help.xml en-US/
#
# Exit status 1 when a file has conflicts (markers left in it, as git merge does).
set -eu
[ $# -eq 2 ] || { echo "usage: tools/help-merge.sh BASE THEIRS (commits or MAML files)" >&2; exit 2; }
cd "$(dirname "$0")/.."
tool=tools/HelpMarkdown/bin/Release/net8.0/nlmonps-help.dll
[ -f "$tool" ] || dotnet build tools/HelpMarkdown -c Release -nologo -v quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
maml() {
    if [ -f "$1" ]; then cp "$1" "$2"
    else git show "$1:en-US/NlmonPS.dll-Help.xml" > "$2" || { echo "$1 has no en-US/NlmonPS.dll-Help.xml" >&2; exit 2; }
    fi
}
maml "$1" "$tmp/base.xml"
maml "$2" "$tmp/theirs.xml"
mkdir "$tmp/base" "$tmp/theirs"
dotnet "$tool" maml2md "$tmp/base.xml" "$tmp/base"
dotnet "$tool" maml2md "$tmp/theirs.xml" "$tmp/theirs"
status=0
for theirs in "$tmp/theirs"/*.md; do
    name=$(basename "$theirs")
    base="$tmp/base/$name"
    if [ -f "$base" ] && cmp -s "$base" "$theirs"; then continue; fi   # a cmdlet they did not change
    [ -f "$base" ] || : > "$base"                                       # a cmdlet they added
    [ -f "docs/help/$name" ] || : > "docs/help/$name"
    if git merge-file -L "docs/help/$name" -L base -L theirs "docs/help/$name" "$base" "$theirs"; then
        echo "merged   docs/help/$name"
    else
        echo "CONFLICT docs/help/$name"
        status=1
    fi
done
for base in "$tmp/base"/*.md; do
    name=$(basename "$base")
    [ -f "$tmp/theirs/$name" ] || echo "removed on their side: ${name%.md} (delete docs/help/$name if that is meant)"
done
exit $status
