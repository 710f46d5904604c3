#!/usr/bin/env bash
# Regenerates the tiny media files under tests/data/media (committed; needs ffmpeg).
set -euo pipefail
cd "$(dirname "$0")/../tests/data/media"
F="ffmpeg -hide_banner -loglevel error -y"
video="testsrc=size=64x48:rate=5:duration=2.5"
tone="sine=frequency=440:duration=2.5"
$F -f lavfi -i "$video" -f lavfi -i "$tone" -c:v libx264 -preset ultrafast -crf 40 -c:a aac -b:a 16k -shortest -movflags +faststart clip.mp4
$F -f lavfi -i "$video" -f lavfi -i "$tone" -c:v libx264 -preset ultrafast -crf 40 -c:a aac -b:a 16k -shortest clip-moov-at-end.mov
$F -f lavfi -i "$video" -c:v libx264 -preset ultrafast -crf 40 -an silent-video.mp4
$F -f lavfi -i "$tone" -c:a aac -b:a 16k voice.m4a
$F -f lavfi -i "$tone" -c:a libmp3lame -b:a 16k voice.mp3
$F -f lavfi -i "$tone" -ar 8000 -ac 1 voice.wav
$F -f lavfi -i "$tone" -c:a libopus -b:a 12k voice.ogg
$F -f lavfi -i "$tone" -ar 8000 voice.flac
$F -f lavfi -i "$video" -f lavfi -i "$tone" -c:v libvpx -b:v 20k -c:a libopus -b:a 12k -shortest clip.webm
$F -f lavfi -i "$video" -c:v mpeg4 -q:v 31 -an clip.avi
$F -f lavfi -i "$video" -c:v libx264 -preset ultrafast -an clip.mkv
printf 'hello, this is not a video\n' > notes.txt
