window.MSI_STUDY = {
 "format": "msi-study/1",
 "name": "demo",
 "made_by": "msi 0.1.0",
 "designs": [
  "acr",
  "pair"
 ],
 "questions": [
  "motion_stability",
  "lip_sync",
  "realness"
 ],
 "question_text": {
  "motion_stability": {
   "title": "Motion stability",
   "acr": "Are the motions around the lips and jaw stable across frames?",
   "pair": "In which video are the motions around the lips and jaw more stable across frames?"
  },
  "lip_sync": {
   "title": "Lip sync",
   "acr": "How does the motion of the lips match the speech in lip-audio accuracy?",
   "pair": "In which video does the motion of the lips match the speech better?"
  },
  "realness": {
   "title": "Realness",
   "acr": "Does the video look real in your mind?",
   "pair": "Which video looks more real?"
  }
 },
 "grades": [
  [
   5,
   "Very Good"
  ],
  [
   4,
   "Good"
  ],
  [
   3,
   "Fair"
  ],
  [
   2,
   "Poor"
  ],
  [
   1,
   "Very Poor"
  ]
 ],
 "guideline": [
  "You will watch short videos of a talking face and answer a few questions about each. There are no right or wrong answers: we want your own impression.",
  "Motion stability: look at the lips and the jaw. Stable motion is smooth from frame to frame; unstable motion jitters, shakes or jumps.",
  "Lip sync: listen to the speech (use headphones if you can) and judge whether the lips move with it.",
  "Realness: does the face look like a real recording of a person?",
  "Each video must play to its end before you can answer; you may play it again. A short practice round comes first and does not count."
 ],
 "methods": [
  "real",
  "wobbly",
  "shaken",
  "frozen"
 ],
 "utterances": [
  "u1",
  "u2",
  "u3"
 ],
 "attention_source": "real",
 "plan": {
  "seed": 0,
  "repeats": 2,
  "practice": 1
 },
 "items": {
  "acr:real:u1": {
   "id": "acr:real:u1",
   "type": "acr",
   "method": "real",
   "utterance": "u1",
   "video": "videos/real/u1.mp4"
  },
  "acr:wobbly:u1": {
   "id": "acr:wobbly:u1",
   "type": "acr",
   "method": "wobbly",
   "utterance": "u1",
   "video": "videos/wobbly/u1.mp4"
  },
  "acr:shaken:u1": {
   "id": "acr:shaken:u1",
   "type": "acr",
   "method": "shaken",
   "utterance": "u1",
   "video": "videos/shaken/u1.mp4"
  },
  "acr:frozen:u1": {
   "id": "acr:frozen:u1",
   "type": "acr",
   "method": "frozen",
   "utterance": "u1",
   "video": "videos/frozen/u1.mp4"
  },
  "acr:real:u2": {
   "id": "acr:real:u2",
   "type": "acr",
   "method": "real",
   "utterance": "u2",
   "video": "videos/real/u2.mp4"
  },
  "acr:wobbly:u2": {
   "id": "acr:wobbly:u2",
   "type": "acr",
   "method": "wobbly",
   "utterance": "u2",
   "video": "videos/wobbly/u2.mp4"
  },
  "acr:shaken:u2": {
   "id": "acr:shaken:u2",
   "type": "acr",
   "method": "shaken",
   "utterance": "u2",
   "video": "videos/shaken/u2.mp4"
  },
  "acr:frozen:u2": {
   "id": "acr:frozen:u2",
   "type": "acr",
   "method": "frozen",
   "utterance": "u2",
   "video": "videos/frozen/u2.mp4"
  },
  "acr:real:u3": {
   "id": "acr:real:u3",
   "type": "acr",
   "method": "real",
   "utterance": "u3",
   "video": "videos/real/u3.mp4"
  },
  "acr:wobbly:u3": {
   "id": "acr:wobbly:u3",
   "type": "acr",
   "method": "wobbly",
   "utterance": "u3",
   "video": "videos/wobbly/u3.mp4"
  },
  "acr:shaken:u3": {
   "id": "acr:shaken:u3",
   "type": "acr",
   "method": "shaken",
   "utterance": "u3",
   "video": "videos/shaken/u3.mp4"
  },
  "acr:frozen:u3": {
   "id": "acr:frozen:u3",
   "type": "acr",
   "method": "frozen",
   "utterance": "u3",
   "video": "videos/frozen/u3.mp4"
  },
  "acr:check:u2": {
   "id": "acr:check:u2",
   "type": "acr",
   "method": "check",
   "utterance": "u2",
   "video": "videos/check/u2.mp4",
   "expect": {
    "question": "motion_stability",
    "max_grade": 2
   }
  },
  "acr:check:u3": {
   "id": "acr:check:u3",
   "type": "acr",
   "method": "check",
   "utterance": "u3",
   "video": "videos/check/u3.mp4",
   "expect": {
    "question": "motion_stability",
    "max_grade": 2
   }
  },
  "pair:real:shaken:u1": {
   "id": "pair:real:shaken:u1",
   "type": "pair",
   "a": "real",
   "b": "shaken",
   "utterance": "u1",
   "video_a": "videos/real/u1.mp4",
   "video_b": "videos/shaken/u1.mp4"
  },
  "pair:real:frozen:u1": {
   "id": "pair:real:frozen:u1",
   "type": "pair",
   "a": "real",
   "b": "frozen",
   "utterance": "u1",
   "video_a": "videos/real/u1.mp4",
   "video_b": "videos/frozen/u1.mp4"
  },
  "pair:real:wobbly:u1": {
   "id": "pair:real:wobbly:u1",
   "type": "pair",
   "a": "real",
   "b": "wobbly",
   "utterance": "u1",
   "video_a": "videos/real/u1.mp4",
   "video_b": "videos/wobbly/u1.mp4"
  },
  "pair:real:shaken:u2": {
   "id": "pair:real:shaken:u2",
   "type": "pair",
   "a": "real",
   "b": "shaken",
   "utterance": "u2",
   "video_a": "videos/real/u2.mp4",
   "video_b": "videos/shaken/u2.mp4"
  },
  "pair:real:frozen:u2": {
   "id": "pair:real:frozen:u2",
   "type": "pair",
   "a": "real",
   "b": "frozen",
   "utterance": "u2",
   "video_a": "videos/real/u2.mp4",
   "video_b": "videos/frozen/u2.mp4"
  },
  "pair:real:wobbly:u2": {
   "id": "pair:real:wobbly:u2",
   "type": "pair",
   "a": "real",
   "b": "wobbly",
   "utterance": "u2",
   "video_a": "videos/real/u2.mp4",
   "video_b": "videos/wobbly/u2.mp4"
  },
  "pair:real:shaken:u3": {
   "id": "pair:real:shaken:u3",
   "type": "pair",
   "a": "real",
   "b": "shaken",
   "utterance": "u3",
   "video_a": "videos/real/u3.mp4",
   "video_b": "videos/shaken/u3.mp4"
  },
  "pair:real:frozen:u3": {
   "id": "pair:real:frozen:u3",
   "type": "pair",
   "a": "real",
   "b": "frozen",
   "utterance": "u3",
   "video_a": "videos/real/u3.mp4",
   "video_b": "videos/frozen/u3.mp4"
  },
  "pair:real:wobbly:u3": {
   "id": "pair:real:wobbly:u3",
   "type": "pair",
   "a": "real",
   "b": "wobbly",
   "utterance": "u3",
   "video_a": "videos/real/u3.mp4",
   "video_b": "videos/wobbly/u3.mp4"
  },
  "pair:real:check:u2": {
   "id": "pair:real:check:u2",
   "type": "pair",
   "a": "real",
   "b": "check",
   "utterance": "u2",
   "video_a": "videos/real/u2.mp4",
   "video_b": "videos/check/u2.mp4",
   "expect": {
    "question": "motion_stability",
    "choice": "real"
   }
  },
  "pair:real:check:u3": {
   "id": "pair:real:check:u3",
   "type": "pair",
   "a": "real",
   "b": "check",
   "utterance": "u3",
   "video_a": "videos/real/u3.mp4",
   "video_b": "videos/check/u3.mp4",
   "expect": {
    "question": "motion_stability",
    "choice": "real"
   }
  }
 },
 "sessions": [
  {
   "rater": "r01",
   "plan": [
    {
     "seq": 0,
     "item": "acr:frozen:u1",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 1,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 2,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 3,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 4,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 5,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 6,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 7,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 8,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 9,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 10,
     "item": "acr:real:u3",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 11,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 12,
     "item": "acr:real:u2",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 13,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 14,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 15,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 16,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 17,
     "item": "pair:real:wobbly:u3",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 18,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 19,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 20,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 21,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 22,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 23,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 24,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 25,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 26,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 27,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 28,
     "item": "pair:real:shaken:u2",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 29,
     "item": "pair:real:shaken:u1",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 30,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": true
    }
   ]
  },
  {
   "rater": "r02",
   "plan": [
    {
     "seq": 0,
     "item": "acr:frozen:u1",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 1,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 2,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 3,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 4,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 5,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 6,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 7,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 8,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 9,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 10,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 11,
     "item": "acr:frozen:u2",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 12,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 13,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 14,
     "item": "acr:real:u1",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 15,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 16,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 17,
     "item": "pair:real:shaken:u3",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 18,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 19,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 20,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 21,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 22,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 23,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 24,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 25,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 26,
     "item": "pair:real:shaken:u2",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 27,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 28,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 29,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 30,
     "item": "pair:real:shaken:u1",
     "kind": "repeat",
     "swap": true
    }
   ]
  },
  {
   "rater": "r03",
   "plan": [
    {
     "seq": 0,
     "item": "acr:wobbly:u2",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 1,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 2,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 3,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 4,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 5,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 6,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 7,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 8,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 9,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 10,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 11,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 12,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 13,
     "item": "acr:shaken:u3",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 14,
     "item": "acr:wobbly:u1",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 15,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 16,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 17,
     "item": "pair:real:shaken:u1",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 18,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 19,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 20,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 21,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 22,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 23,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 24,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 25,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 26,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 27,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 28,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 29,
     "item": "pair:real:frozen:u3",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 30,
     "item": "pair:real:frozen:u2",
     "kind": "repeat",
     "swap": false
    }
   ]
  },
  {
   "rater": "r04",
   "plan": [
    {
     "seq": 0,
     "item": "acr:frozen:u2",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 1,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 2,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 3,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 4,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 5,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 6,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 7,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 8,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 9,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 10,
     "item": "acr:wobbly:u3",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 11,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 12,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 13,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 14,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 15,
     "item": "acr:wobbly:u2",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 16,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 17,
     "item": "pair:real:shaken:u3",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 18,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 19,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 20,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 21,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 22,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 23,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 24,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 25,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 26,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 27,
     "item": "pair:real:wobbly:u3",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 28,
     "item": "pair:real:frozen:u3",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 29,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 30,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": false
    }
   ]
  },
  {
   "rater": "r05",
   "plan": [
    {
     "seq": 0,
     "item": "acr:shaken:u3",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 1,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 2,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 3,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 4,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 5,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 6,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 7,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 8,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 9,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 10,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 11,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 12,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 13,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 14,
     "item": "acr:frozen:u2",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 15,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 16,
     "item": "acr:shaken:u2",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 17,
     "item": "pair:real:shaken:u1",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 18,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 19,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 20,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 21,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 22,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 23,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 24,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 25,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 26,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 27,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 28,
     "item": "pair:real:wobbly:u1",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 29,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 30,
     "item": "pair:real:shaken:u1",
     "kind": "repeat",
     "swap": false
    }
   ]
  },
  {
   "rater": "r06",
   "plan": [
    {
     "seq": 0,
     "item": "acr:frozen:u1",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 1,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 2,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 3,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 4,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 5,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 6,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 7,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 8,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 9,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 10,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 11,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 12,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 13,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 14,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 15,
     "item": "acr:frozen:u1",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 16,
     "item": "acr:wobbly:u3",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 17,
     "item": "pair:real:shaken:u2",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 18,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 19,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 20,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 21,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 22,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 23,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 24,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 25,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 26,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 27,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 28,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 29,
     "item": "pair:real:frozen:u2",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 30,
     "item": "pair:real:frozen:u3",
     "kind": "repeat",
     "swap": true
    }
   ]
  },
  {
   "rater": "r07",
   "plan": [
    {
     "seq": 0,
     "item": "acr:frozen:u3",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 1,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 2,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 3,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 4,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 5,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 6,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 7,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 8,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 9,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 10,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 11,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 12,
     "item": "acr:wobbly:u3",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 13,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 14,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 15,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 16,
     "item": "acr:real:u3",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 17,
     "item": "pair:real:shaken:u2",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 18,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 19,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 20,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 21,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 22,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 23,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 24,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 25,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 26,
     "item": "pair:real:shaken:u3",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 27,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 28,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 29,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 30,
     "item": "pair:real:shaken:u2",
     "kind": "repeat",
     "swap": false
    }
   ]
  },
  {
   "rater": "r08",
   "plan": [
    {
     "seq": 0,
     "item": "acr:shaken:u3",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 1,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 2,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 3,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 4,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 5,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 6,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 7,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 8,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 9,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 10,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 11,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 12,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 13,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 14,
     "item": "acr:shaken:u2",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 15,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 16,
     "item": "acr:frozen:u1",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 17,
     "item": "pair:real:frozen:u3",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 18,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 19,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 20,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 21,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 22,
     "item": "pair:real:shaken:u2",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 23,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 24,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 25,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 26,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 27,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 28,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 29,
     "item": "pair:real:wobbly:u3",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 30,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": false
    }
   ]
  },
  {
   "rater": "r09",
   "plan": [
    {
     "seq": 0,
     "item": "acr:frozen:u2",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 1,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 2,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 3,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 4,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 5,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 6,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 7,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 8,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 9,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 10,
     "item": "acr:frozen:u2",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 11,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 12,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 13,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 14,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 15,
     "item": "acr:shaken:u1",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 16,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 17,
     "item": "pair:real:shaken:u3",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 18,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 19,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 20,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 21,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 22,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 23,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 24,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 25,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 26,
     "item": "pair:real:frozen:u3",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 27,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 28,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 29,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 30,
     "item": "pair:real:wobbly:u2",
     "kind": "repeat",
     "swap": false
    }
   ]
  },
  {
   "rater": "r10",
   "plan": [
    {
     "seq": 0,
     "item": "acr:real:u1",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 1,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 2,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 3,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 4,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 5,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 6,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 7,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 8,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 9,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 10,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 11,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 12,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 13,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 14,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 15,
     "item": "acr:shaken:u3",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 16,
     "item": "acr:wobbly:u1",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 17,
     "item": "pair:real:frozen:u2",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 18,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 19,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 20,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 21,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 22,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 23,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 24,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 25,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 26,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 27,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 28,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 29,
     "item": "pair:real:frozen:u2",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 30,
     "item": "pair:real:frozen:u3",
     "kind": "repeat",
     "swap": true
    }
   ]
  },
  {
   "rater": "r11",
   "plan": [
    {
     "seq": 0,
     "item": "acr:real:u1",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 1,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 2,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 3,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 4,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 5,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 6,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 7,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 8,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 9,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 10,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 11,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 12,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 13,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 14,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 15,
     "item": "acr:shaken:u1",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 16,
     "item": "acr:real:u3",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 17,
     "item": "pair:real:shaken:u1",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 18,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 19,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 20,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 21,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 22,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 23,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 24,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 25,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 26,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 27,
     "item": "pair:real:wobbly:u2",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 28,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 29,
     "item": "pair:real:wobbly:u3",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 30,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": true
    }
   ]
  },
  {
   "rater": "r12",
   "plan": [
    {
     "seq": 0,
     "item": "acr:frozen:u1",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 1,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 2,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 3,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 4,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 5,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 6,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 7,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 8,
     "item": "acr:real:u3",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 9,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 10,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 11,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 12,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 13,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 14,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 15,
     "item": "acr:wobbly:u1",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 16,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 17,
     "item": "pair:real:wobbly:u3",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 18,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 19,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 20,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 21,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 22,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 23,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 24,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 25,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 26,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 27,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 28,
     "item": "pair:real:frozen:u2",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 29,
     "item": "pair:real:frozen:u1",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 30,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": false
    }
   ]
  },
  {
   "rater": "r13",
   "plan": [
    {
     "seq": 0,
     "item": "acr:wobbly:u2",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 1,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 2,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 3,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 4,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 5,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 6,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 7,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 8,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 9,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 10,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 11,
     "item": "acr:real:u2",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 12,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 13,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 14,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 15,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 16,
     "item": "acr:wobbly:u1",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 17,
     "item": "pair:real:wobbly:u3",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 18,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 19,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 20,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 21,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 22,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 23,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 24,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 25,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 26,
     "item": "pair:real:shaken:u1",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 27,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 28,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 29,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 30,
     "item": "pair:real:frozen:u1",
     "kind": "repeat",
     "swap": true
    }
   ]
  },
  {
   "rater": "r14",
   "plan": [
    {
     "seq": 0,
     "item": "acr:frozen:u1",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 1,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 2,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 3,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 4,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 5,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 6,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 7,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 8,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 9,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 10,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 11,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 12,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 13,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 14,
     "item": "acr:real:u2",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 15,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 16,
     "item": "acr:frozen:u1",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 17,
     "item": "pair:real:frozen:u3",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 18,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 19,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 20,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 21,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 22,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 23,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 24,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 25,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 26,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 27,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 28,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 29,
     "item": "pair:real:frozen:u1",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 30,
     "item": "pair:real:shaken:u2",
     "kind": "repeat",
     "swap": false
    }
   ]
  },
  {
   "rater": "r15",
   "plan": [
    {
     "seq": 0,
     "item": "acr:frozen:u3",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 1,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 2,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 3,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 4,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 5,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 6,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 7,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 8,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 9,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 10,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 11,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 12,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 13,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 14,
     "item": "acr:wobbly:u3",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 15,
     "item": "acr:wobbly:u2",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 16,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 17,
     "item": "pair:real:frozen:u2",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 18,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 19,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 20,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 21,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 22,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 23,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 24,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 25,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 26,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 27,
     "item": "pair:real:frozen:u2",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 28,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 29,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 30,
     "item": "pair:real:frozen:u1",
     "kind": "repeat",
     "swap": false
    }
   ]
  },
  {
   "rater": "r16",
   "plan": [
    {
     "seq": 0,
     "item": "acr:frozen:u1",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 1,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 2,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 3,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 4,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 5,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 6,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 7,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 8,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 9,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 10,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 11,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 12,
     "item": "acr:shaken:u2",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 13,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 14,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 15,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 16,
     "item": "acr:wobbly:u1",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 17,
     "item": "pair:real:frozen:u2",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 18,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 19,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 20,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 21,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 22,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 23,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 24,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 25,
     "item": "pair:real:frozen:u2",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 26,
     "item": "pair:real:shaken:u1",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 27,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 28,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 29,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 30,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": true
    }
   ]
  },
  {
   "rater": "r17",
   "plan": [
    {
     "seq": 0,
     "item": "acr:real:u2",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 1,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 2,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 3,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 4,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 5,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 6,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 7,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 8,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 9,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 10,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 11,
     "item": "acr:wobbly:u1",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 12,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 13,
     "item": "acr:frozen:u1",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 14,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 15,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 16,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 17,
     "item": "pair:real:frozen:u1",
     "kind": "practice",
     "swap": true
    },
    {
     "seq": 18,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 19,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 20,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 21,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 22,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 23,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 24,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 25,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 26,
     "item": "pair:real:frozen:u1",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 27,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 28,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 29,
     "item": "pair:real:frozen:u2",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 30,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": true
    }
   ]
  },
  {
   "rater": "r18",
   "plan": [
    {
     "seq": 0,
     "item": "acr:shaken:u2",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 1,
     "item": "acr:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 2,
     "item": "acr:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 3,
     "item": "acr:wobbly:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 4,
     "item": "acr:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 5,
     "item": "acr:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 6,
     "item": "acr:frozen:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 7,
     "item": "acr:wobbly:u3",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 8,
     "item": "acr:wobbly:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 9,
     "item": "acr:frozen:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 10,
     "item": "acr:real:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 11,
     "item": "acr:real:u2",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 12,
     "item": "acr:check:u3",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 13,
     "item": "acr:wobbly:u1",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 14,
     "item": "acr:check:u2",
     "kind": "attention",
     "swap": false
    },
    {
     "seq": 15,
     "item": "acr:real:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 16,
     "item": "acr:shaken:u2",
     "kind": "repeat",
     "swap": true
    },
    {
     "seq": 17,
     "item": "pair:real:wobbly:u3",
     "kind": "practice",
     "swap": false
    },
    {
     "seq": 18,
     "item": "pair:real:shaken:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 19,
     "item": "pair:real:check:u2",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 20,
     "item": "pair:real:wobbly:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 21,
     "item": "pair:real:wobbly:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 22,
     "item": "pair:real:frozen:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 23,
     "item": "pair:real:frozen:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 24,
     "item": "pair:real:wobbly:u1",
     "kind": "main",
     "swap": true
    },
    {
     "seq": 25,
     "item": "pair:real:shaken:u3",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 26,
     "item": "pair:real:shaken:u2",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 27,
     "item": "pair:real:wobbly:u3",
     "kind": "repeat",
     "swap": false
    },
    {
     "seq": 28,
     "item": "pair:real:frozen:u1",
     "kind": "main",
     "swap": false
    },
    {
     "seq": 29,
     "item": "pair:real:check:u3",
     "kind": "attention",
     "swap": true
    },
    {
     "seq": 30,
     "item": "pair:real:wobbly:u1",
     "kind": "repeat",
     "swap": true
    }
   ]
  }
 ]
};
