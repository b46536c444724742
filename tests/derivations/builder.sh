echo "$out $dev $doc" > "$out"; : > "$dev"; : > "$doc"
